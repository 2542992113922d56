package org.sepnet.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * IDX files (the MNIST and Fashion-MNIST format), gzip-compressed or not: a 4-byte magic (two zero
 * bytes, the element type, the number of dimensions), each dimension as a big-endian 32-bit count,
 * then the elements row-major. Only unsigned bytes (type 0x08) are read, as every image and label
 * file of those data sets holds. A damaged file is refused with one line naming the file and what
 * was wrong; memory grows only with bytes actually read, so a header claiming more than the file
 * holds fails before anything of that size is allocated.
 */
public final class Idx {
    /** Most elements one file may declare (2³¹ − 1 bytes: one Java array). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE;

    private final int[] dims;
    private final byte[] data;

    private Idx(int[] dims, byte[] data) {
        this.dims = dims;
        this.data = data;
    }

    /** The dimensions, outermost first (images: count, rows, columns; labels: count). */
    public int[] dims() {
        return dims.clone();
    }

    /** Element {@code i} (row-major) as 0..255. */
    public int get(long i) {
        return data[Math.toIntExact(i)] & 0xFF;
    }

    /** The number of elements. */
    public int size() {
        return data.length;
    }

    byte[] bytes() {
        return data;
    }

    /** Reads {@code file}; gzip is recognized by its magic bytes, whatever the name. */
    public static Idx read(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            try (InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw) {
                return read(in, file.toString());
            } catch (IOException e) {
                if (!gzip || e.getMessage() != null && e.getMessage().startsWith(file.toString())) {
                    throw e;
                }
                throw new IOException(file + ": damaged gzip data (" + e.getMessage() + ")", e);
            }
        }
    }

    static Idx read(InputStream in, String name) throws IOException {
        byte[] head = in.readNBytes(4);
        if (head.length < 4) {
            throw new IOException(name + ": " + head.length + " bytes; an IDX file starts with a 4-byte magic");
        }
        if (head[0] != 0 || head[1] != 0) {
            throw new IOException(name + ": magic " + hex(head) + "; an IDX file starts with two zero bytes");
        }
        if (head[2] != 0x08) {
            throw new IOException(name + ": element type 0x" + String.format("%02x", head[2] & 0xFF)
                    + "; expected 0x08 (unsigned bytes), as MNIST and Fashion-MNIST images and labels are");
        }
        int rank = head[3] & 0xFF;
        if (rank < 1 || rank > 4) {
            throw new IOException(name + ": " + rank + " dimensions; expected 1 to 4");
        }
        byte[] dimBytes = in.readNBytes(4 * rank);
        if (dimBytes.length < 4 * rank) {
            throw new IOException(name + ": the header ends after " + (4 + dimBytes.length) + " bytes; " + rank
                    + " dimensions need " + (4 + 4 * rank));
        }
        int[] dims = new int[rank];
        long elements = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = ((dimBytes[4 * i] & 0xFF) << 24) | ((dimBytes[4 * i + 1] & 0xFF) << 16) | ((dimBytes[4 * i + 2] & 0xFF) << 8)
                    | (dimBytes[4 * i + 3] & 0xFF);
            if (dims[i] < 1) {
                throw new IOException(name + ": dimension " + i + " is " + Integer.toUnsignedString(dims[i]) + "; expected at least 1");
            }
            elements *= dims[i];
            if (elements > MAX_ELEMENTS) {
                throw new IOException(name + ": dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1)) + "… declare more than "
                        + MAX_ELEMENTS + " elements");
            }
        }
        byte[] data = readExactly(in, (int) elements, name, dims);
        if (in.read() >= 0) {
            throw new IOException(name + ": data continues past the " + elements + " elements of " + Arrays.toString(dims));
        }
        return new Idx(dims, data);
    }

    // In chunks, the array growing with what arrives: a header may claim more than the file has.
    private static byte[] readExactly(InputStream in, int n, String name, int[] dims) throws IOException {
        byte[] out = new byte[Math.min(n, 1 << 20)];
        int have = 0;
        while (have < n) {
            if (have == out.length) {
                out = Arrays.copyOf(out, (int) Math.min(n, 2L * out.length));
            }
            int got = in.read(out, have, out.length - have);
            if (got < 0) {
                throw new IOException(name + ": " + have + " of the " + n + " elements of " + Arrays.toString(dims)
                        + " present; the file is truncated");
            }
            have += got;
        }
        return out;
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder("0x");
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xFF));
        }
        return s.toString();
    }
}
