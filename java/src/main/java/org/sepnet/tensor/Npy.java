package org.sepnet.tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) holding float32
 * arrays in C order, so tensors move to and from Python with {@code numpy.load}/{@code numpy.save}.
 *
 * <p>Only {@code float32} in C order is accepted ({@code '<f4'}; big-endian {@code '>f4'} is
 * byte-swapped on read). Any other dtype, Fortran order, a scalar, an empty dimension, a bad magic
 * string or a truncated file is rejected with an {@link IOException} that names what was found and
 * what was expected. Files are written as version 1.0 ({@code '<f4'}, C order).
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    private static final int MAX_HEADER = 1 << 20;
    /** Data a stream's header may declare before the data itself is read: 16 MiB. */
    private static final long TRUSTED_BYTES = 16L << 20;
    private static final Pattern KEY = Pattern.compile("'([^']*)'\\s*:");

    private Npy() {}

    /** Reads a float32 array from a {@code .npy} file; its size is checked against the header before anything is allocated. */
    public static HostTensor read(Path file) throws IOException {
        FileChecks.readable(file, "a .npy file");
        long length = Files.size(file);
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), length);
        }
    }

    /**
     * Reads a float32 array from a stream holding one {@code .npy} file; {@code name} appears in
     * errors. A header that declares more than {@value #TRUSTED_BYTES} bytes of data is believed only
     * as the data arrives, so a short stream cannot make it allocate what it claims.
     */
    public static HostTensor read(InputStream in, String name) throws IOException {
        return read(in, name, -1);
    }

    private static HostTensor read(InputStream in, String name, long fileLength) throws IOException {
        byte[] pre = in.readNBytes(8);
        if (pre.length < 8 || !startsWithMagic(pre)) {
            throw new IOException(name + ": not a .npy file (the first bytes are not \\x93NUMPY)");
        }
        int major = pre[6] & 0xff;
        int minor = pre[7] & 0xff;
        long headerLength;
        if (major == 1) {
            byte[] len = in.readNBytes(2);
            if (len.length < 2) {
                throw new IOException(name + ": truncated .npy header");
            }
            headerLength = (len[0] & 0xff) | (len[1] & 0xff) << 8;
        } else if (major == 2 || major == 3) {
            byte[] len = in.readNBytes(4);
            if (len.length < 4) {
                throw new IOException(name + ": truncated .npy header");
            }
            headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        } else {
            throw new IOException(name + ": .npy format version " + major + "." + minor + " is not supported; expected 1.0, 2.0 or 3.0");
        }
        if (headerLength > MAX_HEADER) {
            throw new IOException(name + ": .npy header length " + headerLength + " exceeds " + MAX_HEADER + " bytes; the file is corrupt");
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) {
            throw new IOException(name + ": truncated .npy header (" + headerBytes.length + " of " + headerLength + " bytes)");
        }
        String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Header h = parseHeader(header, name, false);

        long bytes = h.shape.size() * Float.BYTES;
        if (h.shape.size() > DirectMemory.MAX_FLOATS) {
            throw new IOException(name + ": array " + h.shape + " has " + h.shape.size() + " elements; at most " + DirectMemory.MAX_FLOATS + " fit a host tensor");
        }
        long headerEnd = 8 + (major == 1 ? 2 : 4) + headerLength;
        if (fileLength >= 0 && fileLength - headerEnd != bytes) {
            throw new IOException(name + ": the header declares shape " + h.shape + " (" + bytes + " bytes of data) but the file holds "
                    + (fileLength - headerEnd) + " bytes after the header; the file is " + (fileLength - headerEnd < bytes ? "truncated" : "corrupt"));
        }
        if (fileLength < 0 && bytes > TRUSTED_BYTES) {
            in = new java.io.ByteArrayInputStream(readUpTo(in, bytes, name, h.shape));
        }
        HostTensor t = HostTensor.allocate(h.shape);
        try {
            FloatBuffer dst = t.buffer();
            byte[] chunk = new byte[1 << 16];
            ByteBuffer view = ByteBuffer.wrap(chunk).order(h.bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            long done = 0;
            int index = 0;
            while (done < bytes) {
                int want = (int) Math.min(chunk.length, bytes - done);
                int got = in.readNBytes(chunk, 0, want);
                if (got < want) {
                    throw new IOException(name + ": truncated .npy data: expected " + bytes + " bytes for shape " + h.shape + ", found " + (done + got));
                }
                for (int i = 0; i < got; i += Float.BYTES) {
                    dst.put(index++, view.getFloat(i));
                }
                done += got;
            }
            int extra = in.readNBytes(1).length;
            if (extra > 0) {
                throw new IOException(name + ": unexpected bytes after the " + bytes + " bytes of data for shape " + h.shape + "; the file is corrupt");
            }
            return t;
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /** Writes a tensor as a {@code .npy} file ({@code '<f4'}, C order), atomically ({@link AtomicFile}). */
    public static void write(Path file, Tensor tensor) throws IOException {
        AtomicFile.write(file, out -> write(out, tensor));
    }

    /** Writes a tensor as one {@code .npy} file to a stream. */
    public static void write(OutputStream out, Tensor tensor) throws IOException {
        writeHeader(out, tensor.shape());
        writeData(out, tensor.toArray());
    }

    /**
     * Writes the header of a {@code .npy} file of {@code shape}: followed by exactly
     * {@code shape.size()} floats ({@link #writeData}, in as many calls as suits), it is one file.
     */
    public static void writeHeader(OutputStream out, Shape shape) throws IOException {
        out.write(headerBytes(shape));
    }

    /** Writes values as the data of a {@code .npy} file (little-endian float32). */
    public static void writeData(OutputStream out, float[] values) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            if (!chunk.hasRemaining()) {
                out.write(chunk.array(), 0, chunk.position());
                chunk.clear();
            }
            chunk.putFloat(v);
        }
        out.write(chunk.array(), 0, chunk.position());
    }

    static byte[] headerBytes(Shape shape) {
        StringBuilder dims = new StringBuilder();
        for (int d : shape.dims()) {
            dims.append(d).append(", ");
        }
        if (shape.rank() > 1) {
            dims.setLength(dims.length() - 2);
        } else {
            dims.setLength(dims.length() - 1);
        }
        StringBuilder header = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': (")
                .append(dims).append("), }");
        // Magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64.
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header.append(" ".repeat(pad)).append('\n');
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.write(1);
        out.write(0);
        int len = header.length();
        out.write(len & 0xff);
        out.write(len >>> 8);
        out.writeBytes(header.toString().getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    /** Exactly {@code bytes} bytes (over 2 GiB refused earlier), gathered as they arrive. */
    private static byte[] readUpTo(InputStream in, long bytes, String name, Shape shape) throws IOException {
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        byte[] chunk = new byte[1 << 16];
        while (got.size() < bytes) {
            int n = in.readNBytes(chunk, 0, (int) Math.min(chunk.length, bytes - got.size()));
            if (n == 0) {
                throw new IOException(name + ": truncated .npy data: expected " + bytes + " bytes for shape " + shape + ", found " + got.size());
            }
            got.write(chunk, 0, n);
        }
        byte[] rest = in.readNBytes(1);
        got.write(rest, 0, rest.length);
        return got.toByteArray();
    }

    private record Header(Shape shape, boolean bigEndian, String type) {}

    /** An array of any of the integer or float32 dtypes {@link #readArray} takes: {@code type} u1, i1, i2, i4, i8 or f4, data little-endian. */
    public record Array(Shape shape, String type, byte[] data) {
        /** Element {@code i} as a long (f4: rounded towards zero). */
        public long get(long i) {
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            int at = (int) (i * width(type));
            return switch (type) {
                case "u1" -> data[at] & 0xFF;
                case "i1" -> data[at];
                case "i2" -> b.getShort(at);
                case "i4" -> b.getInt(at);
                case "i8" -> b.getLong(at);
                default -> (long) b.getFloat(at);
            };
        }

        /** Element {@code i} as a float. */
        public float getFloat(long i) {
            return type.equals("f4") ? ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getFloat((int) (i * 4)) : get(i);
        }
    }

    private static int width(String type) {
        return Integer.parseInt(type.substring(1));
    }

    /**
     * Reads an array of unsigned bytes, signed integers or float32 (labels, 8-bit images), at most
     * 2 GiB of data; the file's size is checked against its header before anything is allocated.
     */
    public static Array readArray(Path file) throws IOException {
        FileChecks.readable(file, "a .npy file");
        long length = Files.size(file);
        String name = file.toString();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] pre = in.readNBytes(10);
            if (pre.length < 10 || !startsWithMagic(pre)) {
                throw new IOException(name + ": not a .npy file (the first bytes are not \\x93NUMPY)");
            }
            int major = pre[6] & 0xff;
            if (major < 1 || major > 3) {
                throw new IOException(name + ": .npy format version " + major + " is not supported; expected 1.0, 2.0 or 3.0");
            }
            long headerLength = (pre[8] & 0xff) | (pre[9] & 0xff) << 8;
            int prefix = 10;
            if (major > 1) {
                byte[] more = in.readNBytes(2);
                if (more.length < 2) {
                    throw new IOException(name + ": truncated .npy header");
                }
                headerLength |= (long) (more[0] & 0xff) << 16 | (long) (more[1] & 0xff) << 24;
                prefix = 12;
            }
            if (headerLength > MAX_HEADER || prefix + headerLength > length) {
                throw new IOException(name + ": .npy header length " + headerLength + " does not fit the file's " + length + " bytes");
            }
            byte[] headerBytes = in.readNBytes((int) headerLength);
            Header h = parseHeader(new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1), name, true);
            long bytes = h.shape.size() * width(h.type);
            if (length - prefix - headerLength != bytes) {
                throw new IOException(name + ": the header declares shape " + h.shape + " of " + h.type + " (" + bytes
                        + " bytes of data) but the file holds " + (length - prefix - headerLength) + " bytes after the header");
            }
            if (bytes > Integer.MAX_VALUE - 8) {
                throw new IOException(name + ": " + bytes + " bytes of data; at most 2 GiB are read");
            }
            byte[] data = in.readNBytes((int) bytes);
            if (h.bigEndian) {
                int w = width(h.type);
                for (int i = 0; i < data.length; i += w) {
                    for (int a = i, b = i + w - 1; a < b; a++, b--) {
                        byte t = data[a];
                        data[a] = data[b];
                        data[b] = t;
                    }
                }
            }
            return new Array(h.shape, h.type, data);
        }
    }

    private static Header parseHeader(String header, String name, boolean anyType) throws IOException {
        java.util.Set<String> keys = new java.util.HashSet<>();
        Matcher k = KEY.matcher(header);
        while (k.find()) {
            if (!keys.add(k.group(1))) {
                throw new IOException(name + ": the .npy header has key '" + k.group(1) + "' twice; expected each of 'descr', "
                        + "'fortran_order' and 'shape' once");
            }
        }
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IOException(name + ": malformed .npy header " + header.strip()
                    + "; expected a dict with 'descr', 'fortran_order' and 'shape'");
        }
        String descr = d.group(1);
        boolean bigEndian;
        String type = descr.length() == 3 ? descr.substring(1) : "";
        boolean known = anyType ? java.util.List.of("u1", "i1", "i2", "i4", "i8", "f4").contains(type) : type.equals("f4");
        char order = descr.isEmpty() ? '?' : descr.charAt(0);
        boolean littleHere = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        if (known && (order == '<' || order == '|' || (order == '=' && littleHere))) {
            bigEndian = false;
        } else if (known && (order == '>' || order == '=')) {
            bigEndian = true;
        } else if (anyType) {
            throw new IOException(name + ": dtype '" + descr + "'" + describe(descr)
                    + " is not supported; expected uint8, int8, int16, int32, int64 or float32");
        } else {
            throw new IOException(name + ": dtype '" + descr + "'" + describe(descr)
                    + " is not supported; expected float32 ('<f4'): convert with array.astype(numpy.float32)");
        }
        if (f.group(1).equals("True")) {
            throw new IOException(name + ": array is in Fortran order; expected C order: save numpy.ascontiguousarray(array)");
        }
        List<Integer> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            long v;
            try {
                v = Long.parseLong(p.endsWith("L") ? p.substring(0, p.length() - 1) : p);
            } catch (NumberFormatException e) {
                throw new IOException(name + ": malformed shape (" + s.group(1) + ") in .npy header");
            }
            if (v < 1 || v > Integer.MAX_VALUE) {
                throw new IOException(name + ": shape (" + s.group(1) + ") has dimension " + v + "; expected sizes from 1 to " + Integer.MAX_VALUE);
            }
            dims.add((int) v);
        }
        if (dims.isEmpty()) {
            throw new IOException(name + ": the array is a scalar (shape ()); expected an array of rank 1 to " + Shape.MAX_RANK);
        }
        if (dims.size() > Shape.MAX_RANK) {
            throw new IOException(name + ": the array has rank " + dims.size() + "; expected rank 1 to " + Shape.MAX_RANK);
        }
        try {
            return new Header(Shape.of(dims.stream().mapToInt(Integer::intValue).toArray()), bigEndian, type);
        } catch (ArithmeticException e) {
            throw new IOException(name + ": shape (" + s.group(1) + ") has too many elements");
        }
    }

    private static String describe(String descr) {
        String kind = descr.length() >= 3 ? descr.substring(1) : descr;
        return switch (kind) {
            case "f8" -> " (float64)";
            case "f2" -> " (float16)";
            case "i4" -> " (int32)";
            case "i8" -> " (int64)";
            case "u1" -> " (uint8)";
            case "i1" -> " (int8)";
            case "b1" -> " (bool)";
            default -> "";
        };
    }

    private static boolean startsWithMagic(byte[] b) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }
}
