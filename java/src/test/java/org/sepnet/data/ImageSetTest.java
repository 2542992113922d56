package org.sepnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.tensor.Shape;

/** Image sets from IDX pairs, their statistics and normalization, and Fashion-MNIST from Debian's package when installed. */
class ImageSetTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] b) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, b);
        return p;
    }

    @Test
    void imagesAndLabelsComeInPairs() throws IOException {
        byte[] px = new byte[4 * 2 * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 11);
        }
        Path images = write("img", IdxTest.idx(8, new int[] {4, 2, 3}, px));
        Path labels = write("lab.gz", IdxTest.gzip(IdxTest.idx(8, new int[] {4}, new byte[] {2, 0, 2, 1})));
        ImageSet s = ImageSet.idx(images, labels, 3);
        assertEquals(4, s.size());
        assertEquals(Shape.of(1, 2, 3), s.imageShape());
        assertArrayEquals(new int[] {1, 1, 2}, s.classCounts());
        float[] v = new float[8];
        s.pixels(2, v, 1);
        for (int j = 0; j < 6; j++) {
            assertEquals(((12 + j) * 11 & 0xFF) / 255f, v[1 + j], "pixel " + j);
        }
        assertEquals(1, s.label(3));
        assertArrayEquals(java.util.Arrays.copyOfRange(px, 12, 18), s.bytes(2));
        assertThrows(IndexOutOfBoundsException.class, () -> s.limit(2).bytes(2));
        assertEquals(2, s.limit(2).size());
        assertEquals(2, s.limit(2).label(0));
        assertThrows(IndexOutOfBoundsException.class, () -> s.limit(2).label(2));

        double mean = 0;
        double sq = 0;
        for (byte b : px) {
            mean += (b & 0xFF) / 255.0 / px.length;
        }
        for (byte b : px) {
            sq += Math.pow((b & 0xFF) / 255.0 - mean, 2) / px.length;
        }
        Normalization n = s.statistics();
        assertEquals(mean, n.mean()[0], 1e-6);
        assertEquals(Math.sqrt(sq), n.std()[0], 1e-6);
        float[] x = {(float) mean, 1f};
        new Normalization(n.mean(), n.std()).apply(x, 0, 2, 1);
        assertEquals(0, x[0], 1e-6);
    }

    @Test
    void mismatchedOrOutOfRangeLabelsAreRefused() throws IOException {
        Path images = write("img", IdxTest.idx(8, new int[] {3, 2, 2}, new byte[12]));
        Path three = write("three", IdxTest.idx(8, new int[] {3}, new byte[] {0, 9, 1}));
        IOException range = assertThrows(IOException.class, () -> ImageSet.idx(images, three, 9));
        assertEquals(three + ": label 9 at image 1; expected 0 to 8", range.getMessage());
        Path two = write("two", IdxTest.idx(8, new int[] {2}, new byte[] {0, 1}));
        IOException count = assertThrows(IOException.class, () -> ImageSet.idx(images, two, 9));
        assertEquals(two + ": 2 labels for the 3 images of " + images, count.getMessage());
        IOException rank = assertThrows(IOException.class, () -> ImageSet.idx(two, two, 9));
        assertTrue(rank.getMessage().contains("1 dimensions; an image file has 3"), rank.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Normalization(new float[] {0}, new float[] {0}));
    }

    @Test
    void aMissingDataSetNamesThePackage() {
        IOException e = assertThrows(IOException.class, () -> FashionMnist.train(dir.resolve("nowhere")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        IOException empty = assertThrows(IOException.class, () -> FashionMnist.test(dir));
        assertTrue(empty.getMessage().contains("not a Fashion-MNIST directory"), empty.getMessage());
        if (!FashionMnist.present(FashionMnist.DEBIAN)) {
            IOException debian = assertThrows(IOException.class, () -> FashionMnist.test(FashionMnist.DEBIAN));
            assertTrue(debian.getMessage().contains("apt-get install dataset-fashion-mnist"), debian.getMessage());
        }
    }

    /** The real files: 60,000 and 10,000 images of 28×28, every class 6,000 and 1,000 times, and their published statistics. */
    @Test
    void fashionMnistFromDebiansPackage() throws IOException {
        Assumptions.assumeTrue(FashionMnist.present(FashionMnist.DEBIAN),
                "Fashion-MNIST not installed at " + FashionMnist.DEBIAN + " (apt-get install dataset-fashion-mnist)");
        ImageSet train = FashionMnist.train(FashionMnist.DEBIAN);
        ImageSet test = FashionMnist.test(FashionMnist.DEBIAN);
        assertEquals(60000, train.size());
        assertEquals(10000, test.size());
        assertEquals(Shape.of(1, 28, 28), train.imageShape());
        int[] perClass = new int[10];
        java.util.Arrays.fill(perClass, 6000);
        assertArrayEquals(perClass, train.classCounts());
        java.util.Arrays.fill(perClass, 1000);
        assertArrayEquals(perClass, test.classCounts());
        Normalization n = train.statistics();
        assertEquals(0.2860, n.mean()[0], 1e-4);
        assertEquals(0.3530, n.std()[0], 1e-4);
    }
}
