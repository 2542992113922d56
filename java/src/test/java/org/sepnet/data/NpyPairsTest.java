package org.sepnet.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.tensor.Shape;

/** {@code .npy} image/label pairs as a data set: dtypes, byte orders, class names, and the files it refuses. */
class NpyPairsTest {
    @TempDir
    Path dir;

    /** A version-1.0 .npy file: {@code descr}, C order, {@code shape}, then {@code data} as given. */
    static void npy(Path p, String descr, int[] shape, byte[] data) throws IOException {
        StringBuilder dims = new StringBuilder();
        for (int d : shape) {
            dims.append(d).append(", ");
        }
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims.toString().strip() + "), }";
        int total = 10 + dict.length() + 1;
        String header = dict + " ".repeat((64 - total % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        Files.write(p, b.array());
    }

    static byte[] longs(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    static byte[] floats(ByteOrder order, float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(order);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    private void split(String name, byte[] pixels, byte[] labels) throws IOException {
        npy(dir.resolve(name + "_images.npy"), "|u1", new int[] {labels.length / 8, 2, 2}, pixels);
        npy(dir.resolve(name + "_labels.npy"), "<i8", new int[] {labels.length / 8}, labels);
    }

    @Test
    void uint8ImagesWithInt64LabelsAndFloatImagesWithBigEndianLabels() throws IOException {
        split("train", new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, longs(0, 2, 1));
        npy(dir.resolve("test_images.npy"), "<f4", new int[] {2, 1, 2, 2}, floats(ByteOrder.LITTLE_ENDIAN, 0, 1, 0.5f, 1 / 255f, 1, 1, 1, 1));
        npy(dir.resolve("test_labels.npy"), ">i4", new int[] {2}, ByteBuffer.allocate(8).putInt(2).putInt(0).array());
        DataSet d = DataSet.open(dir.toString());
        assertEquals(List.of("0", "1", "2"), d.labels());
        ImageSet train = d.train();
        assertEquals(3, train.size());
        assertEquals(Shape.of(1, 2, 2), train.imageShape());
        assertEquals(2, train.label(1));
        float[] px = new float[4];
        train.pixels(2, px, 0);
        assertEquals(11 / 255f, px[3]);
        ImageSet test = d.test();
        assertEquals(2, test.label(0));
        test.pixels(0, px, 0);
        assertEquals(128 / 255f, px[2], "0.5 kept as the pixel round(127.5) = 128");
        assertEquals(1 / 255f, px[3]);
        Files.writeString(dir.resolve("labels.txt"), "zero\none\ntwo\nthree\n");
        DataSet named = DataSet.open(dir.toString());
        assertEquals(List.of("zero", "one", "two", "three"), named.labels());
        assertEquals(4, named.train().classes(), "labels.txt may name classes the training labels never use");
    }

    @Test
    void refusesWhatItCannotUseInOneLine() throws IOException {
        split("train", new byte[8], longs(0, 1));
        split("test", new byte[8], longs(0, 5));
        IOException e = assertThrows(IOException.class, () -> DataSet.open(dir.toString()).test());
        assertTrue(e.getMessage().contains("test_labels.npy: label 5 at image 1; expected 0 to 1"), e.getMessage());
        npy(dir.resolve("test_images.npy"), "<f4", new int[] {2, 2, 2}, floats(ByteOrder.LITTLE_ENDIAN, 0, 0, 0, 0, 0, 1.5f, 0, 0));
        npy(dir.resolve("test_labels.npy"), "<i8", new int[] {2}, longs(0, 1));
        e = assertThrows(IOException.class, () -> DataSet.open(dir.toString()).test());
        assertTrue(e.getMessage().contains("value 1.5 at element 5; expected float32 images in [0, 1]"), e.getMessage());
        npy(dir.resolve("test_images.npy"), "<f8", new int[] {2, 2, 2}, new byte[64]);
        e = assertThrows(IOException.class, () -> DataSet.open(dir.toString()).test());
        assertTrue(e.getMessage().contains("dtype '<f8' (float64) is not supported; expected uint8, int8, int16, int32, int64 or float32"),
                e.getMessage());
        npy(dir.resolve("test_images.npy"), "|u1", new int[] {3, 2, 2}, new byte[12]);
        e = assertThrows(IOException.class, () -> DataSet.open(dir.toString()).test());
        assertTrue(e.getMessage().contains("expected 3 integer labels, one per image"), e.getMessage());
        byte[] whole = Files.readAllBytes(dir.resolve("test_images.npy"));
        Files.write(dir.resolve("test_images.npy"), java.util.Arrays.copyOf(whole, whole.length - 1));
        e = assertThrows(IOException.class, () -> DataSet.open(dir.toString()).test());
        assertTrue(e.getMessage().contains("the file holds 11 bytes after the header"), e.getMessage());
        Files.delete(dir.resolve("test_labels.npy"));
        e = assertThrows(IOException.class, () -> DataSet.open(dir.toString()));
        assertTrue(e.getMessage().contains("nor train_images.npy"), e.getMessage());
    }
}
