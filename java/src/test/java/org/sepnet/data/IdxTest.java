package org.sepnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX files: raw and gzip, and every way a file can be damaged refused with one line. */
class IdxTest {
    @TempDir
    Path dir;

    /** An IDX header (type, dims) followed by {@code data}. */
    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0);
        b.write(0);
        b.write(type);
        b.write(dims.length);
        for (int d : dims) {
            b.write(d >>> 24);
            b.write(d >>> 16);
            b.write(d >>> 8);
            b.write(d);
        }
        b.writeBytes(data);
        return b.toByteArray();
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] b) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, b);
        return p;
    }

    private static byte[] ramp(int n) {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) {
            d[i] = (byte) (i * 7);
        }
        return d;
    }

    @Test
    void readsRawAndGzipFilesAlike() throws IOException {
        byte[] file = idx(8, new int[] {3, 2, 5}, ramp(30));
        for (Path p : new Path[] {write("raw", file), write("packed.gz", gzip(file)), write("packed-without-suffix", gzip(file))}) {
            Idx x = Idx.read(p);
            assertArrayEquals(new int[] {3, 2, 5}, x.dims(), p.toString());
            assertEquals(30, x.size());
            for (int i = 0; i < 30; i++) {
                assertEquals((i * 7) & 0xFF, x.get(i), p + " element " + i);
            }
        }
    }

    private void refused(byte[] file, String expected) throws IOException {
        Path p = write("bad", file);
        IOException e = assertThrows(IOException.class, () -> Idx.read(p));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        Path z = write("bad.gz", gzip(file));
        IOException ez = assertThrows(IOException.class, () -> Idx.read(z));
        assertTrue(ez.getMessage().contains(expected), ez.getMessage());
    }

    @Test
    void damagedFilesAreRefusedWithOneLine() throws IOException {
        refused(new byte[0], "0 bytes; an IDX file starts with a 4-byte magic");
        refused(new byte[] {0, 0, 8}, "3 bytes");
        refused(new byte[] {1, 0, 8, 1, 0, 0, 0, 1, 5}, "magic 0x01000801; an IDX file starts with two zero bytes");
        refused(idx(0x0d, new int[] {1}, new byte[4]), "element type 0x0d; expected 0x08");
        refused(idx(8, new int[] {}, new byte[0]), "0 dimensions; expected 1 to 4");
        refused(idx(8, new int[] {1, 1, 1, 1, 1}, new byte[1]), "5 dimensions; expected 1 to 4");
        refused(idx(8, new int[] {2, 0}, new byte[0]), "dimension 1 is 0; expected at least 1");
        refused(idx(8, new int[] {-1}, new byte[0]), "dimension 0 is 4294967295; expected at least 1");
        refused(java.util.Arrays.copyOf(idx(8, new int[] {2, 3}, new byte[6]), 10), "the header ends after 10 bytes; 2 dimensions need 12");
        refused(idx(8, new int[] {4, 5}, new byte[19]), "19 of the 20 elements of [4, 5] present; the file is truncated");
        refused(idx(8, new int[] {4, 5}, new byte[21]), "data continues past the 20 elements of [4, 5]");
        refused(idx(8, new int[] {65536, 65536}, new byte[0]), "declare more than 2147483647 elements");
    }

    /** A header claiming 2 GB over a few bytes fails on the missing data, not for memory. */
    @Test
    void aHeaderClaimingMoreThanTheFileHoldsAllocatesNothingLarge() throws IOException {
        refused(idx(8, new int[] {32767, 65535}, new byte[100]), "100 of the 2147385345 elements of [32767, 65535] present");
    }

    @Test
    void damagedGzipDataIsRefused() throws IOException {
        byte[] z = gzip(idx(8, new int[] {100}, ramp(100)));
        z[z.length / 2] ^= 0x55;
        Path p = write("damaged.gz", z);
        IOException e = assertThrows(IOException.class, () -> Idx.read(p));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
    }
}
