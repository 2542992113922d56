package org.sepnet.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .npy interop; the base64 fixtures are the exact bytes numpy 2.4 wrote with numpy.save. */
class NpyTest {
    /** numpy.save of np.arange(6, dtype=float32).reshape(2, 3) * 0.5 - 1. */
    private static final String LE_2X3 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AAAAvwAAAAAAAAA/AACAPwAAwD8=";
    /** The same array as big-endian '>f4'. */
    private static final String BE_2X3 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAq/gAAAvwAAAAAAAAA/AAAAP4AAAD/AAAA=";
    /** The same array in format version 2.0. */
    private static final String V2_2X3 = "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AAAAvwAAAAAAAAA/AACAPwAAwD8=";
    private static final String F8_2X3 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAADwvwAAAAAAAOC/AAAAAAAAAAAAAAAAAADgPwAAAAAAAPA/AAAAAAAA+D8=";
    private static final String FORTRAN_2X3 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/AAAAPwAAAL8AAIA/AAAAAAAAwD8=";
    private static final String SCALAR = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAEBA";
    /** numpy.save of np.array([1.5], dtype=float32). */
    private static final String RANK1 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/";
    /** numpy.save of np.arange(24, dtype=float32).reshape(1, 2, 3, 4). */
    private static final String RANK4 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDIsIDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEAAAMBAAADgQAAAAEEAABBBAAAgQQAAMEEAAEBBAABQQQAAYEEAAHBBAACAQQAAiEEAAJBBAACYQQAAoEEAAKhBAACwQQAAuEE=";

    private static final float[] VALUES_2X3 = {-1f, -0.5f, 0f, 0.5f, 1f, 1.5f};

    private static HostTensor read(String base64) throws IOException {
        return Npy.read(new ByteArrayInputStream(Base64.getDecoder().decode(base64)), "fixture.npy");
    }

    private static byte[] write(HostTensor t) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, t);
        return out.toByteArray();
    }

    @Test
    void readsWhatNumpyWrote() throws IOException {
        for (String fixture : new String[] {LE_2X3, BE_2X3, V2_2X3}) {
            try (HostTensor t = read(fixture)) {
                assertEquals(Shape.of(2, 3), t.shape());
                assertArrayEquals(VALUES_2X3, t.toArray());
            }
        }
        try (HostTensor t = read(RANK4)) {
            assertEquals(Shape.of(1, 2, 3, 4), t.shape());
            assertEquals(23f, t.get(0, 1, 2, 3));
            for (int i = 0; i < 24; i++) {
                assertEquals(i, t.get(i));
            }
        }
    }

    @Test
    void writesTheBytesNumpyWrites() throws IOException {
        try (HostTensor t = HostTensor.of(Shape.of(2, 3), VALUES_2X3)) {
            assertArrayEquals(Base64.getDecoder().decode(LE_2X3), write(t));
        }
        try (HostTensor t = HostTensor.of(Shape.of(1), new float[] {1.5f})) {
            assertArrayEquals(Base64.getDecoder().decode(RANK1), write(t));
        }
        float[] v = new float[24];
        for (int i = 0; i < 24; i++) {
            v[i] = i;
        }
        try (HostTensor t = HostTensor.of(Shape.of(1, 2, 3, 4), v)) {
            assertArrayEquals(Base64.getDecoder().decode(RANK4), write(t));
        }
    }

    @Test
    void roundTripsThroughAFile(@TempDir Path dir) throws IOException {
        float[] v = new float[3 * 5 * 7];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i) * 1e3f;
        }
        Path f = dir.resolve("x.npy");
        try (HostTensor t = HostTensor.of(Shape.of(3, 5, 7), v)) {
            Npy.write(f, t);
        }
        assertEquals(0, Files.size(f) % 4);
        try (HostTensor back = Npy.read(f)) {
            assertEquals(Shape.of(3, 5, 7), back.shape());
            assertArrayEquals(v, back.toArray());
        }
    }

    @Test
    void rejectsOtherDtypesNamingThem() {
        IOException e = assertThrows(IOException.class, () -> read(F8_2X3));
        assertTrue(e.getMessage().contains("'<f8'") && e.getMessage().contains("float64")
                && e.getMessage().contains("expected float32"), e.getMessage());
    }

    @Test
    void rejectsFortranOrderAndScalars() {
        IOException e = assertThrows(IOException.class, () -> read(FORTRAN_2X3));
        assertTrue(e.getMessage().contains("Fortran order"), e.getMessage());
        e = assertThrows(IOException.class, () -> read(SCALAR));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
    }

    @Test
    void rejectsTruncatedAndOverlongFiles() {
        byte[] good = Base64.getDecoder().decode(LE_2X3);
        IOException e = assertThrows(IOException.class,
                () -> Npy.read(new ByteArrayInputStream(Arrays.copyOf(good, good.length - 3)), "cut.npy"));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("expected 24 bytes"), e.getMessage());
        e = assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(Arrays.copyOf(good, 40)), "cut.npy"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        e = assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(Arrays.copyOf(good, good.length + 4)), "long.npy"));
        assertTrue(e.getMessage().contains("unexpected bytes"), e.getMessage());
    }

    @Test
    void rejectsWrongMagicAndVersion() {
        byte[] bad = Base64.getDecoder().decode(LE_2X3);
        bad[1] = 'X';
        IOException e = assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(bad), "bad.npy"));
        assertTrue(e.getMessage().contains("not a .npy file"), e.getMessage());
        byte[] v9 = Base64.getDecoder().decode(LE_2X3);
        v9[6] = 9;
        e = assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(v9), "v9.npy"));
        assertTrue(e.getMessage().contains("version 9.0"), e.getMessage());
    }

    /** A v1.0 .npy file with the given header text (padded) and data bytes. */
    private static byte[] npy(String header, int dataBytes) {
        String h = header + " ".repeat((64 - (10 + header.length() + 1) % 64) % 64) + "\n";
        byte[] out = new byte[10 + h.length() + dataBytes];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) h.length(), (byte) (h.length() >> 8)}, 0, out, 0, 10);
        System.arraycopy(h.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, out, 10, h.length());
        return out;
    }

    /** A 576-byte file claiming 2.1 GB of data is refused from its length, before the tensor is allocated. */
    @Test
    void declaredSizeIsCheckedAgainstTheFileBeforeAllocating(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("liar.npy");
        Files.write(f, npy("{'descr': '<f4', 'fortran_order': False, 'shape': (170000, 3, 32, 32), }", 448));
        IOException e = assertThrows(IOException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("declares shape [170000, 3, 32, 32] (2088960000 bytes of data) but the file holds 448 bytes"
                + " after the header; the file is truncated"), e.getMessage());
        long before = Lifetime.heldBytes();
        e = assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(Files.readAllBytes(f)), "stream"));
        assertTrue(e.getMessage().contains("truncated .npy data"), e.getMessage());
        assertTrue(Lifetime.heldBytes() - before < (1L << 30), "a stream's data is believed as it arrives");
    }

    @Test
    void duplicateHeaderKeysAreRefused() {
        byte[] d = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (1,), }", 8);
        IOException e = assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(d), "dup"));
        assertEquals("dup: the .npy header has key 'shape' twice; expected each of 'descr', 'fortran_order' and 'shape' once",
                e.getMessage());
    }
}
