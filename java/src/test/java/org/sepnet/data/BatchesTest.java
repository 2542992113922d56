package org.sepnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batches: order or seeded shuffle, each image once per epoch, crops and flips as specified, normalization, stopping early. */
class BatchesTest {
    private static final int N = 23;
    private static final int H = 5;
    private static final int W = 6;

    @TempDir
    Path dir;

    private ImageSet set;

    @BeforeEach
    void images() throws IOException {
        byte[] px = new byte[N * H * W];
        byte[] labels = new byte[N];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (1 + i * 37 % 251);  // never 0: a crop's zeros stand out
        }
        for (int i = 0; i < N; i++) {
            labels[i] = (byte) (i % 4);
        }
        Path x = dir.resolve("x");
        Path y = dir.resolve("y");
        Files.write(x, IdxTest.idx(8, new int[] {N, H, W}, px));
        Files.write(y, IdxTest.idx(8, new int[] {N}, labels));
        set = ImageSet.idx(x, y, 4);
    }

    private float[] image(int i) {
        float[] v = new float[H * W];
        set.pixels(i, v, 0);
        return v;
    }

    /** Which image each batch position holds (matched by label and pixels, any crop/flip allowed when augmenting). */
    private List<float[]> all(Batches b) {
        List<float[]> out = new ArrayList<>();
        while (b.hasNext()) {
            Batches.Batch batch = b.next();
            for (int j = 0; j < batch.count(); j++) {
                float[] v = new float[H * W];
                System.arraycopy(batch.images(), j * H * W, v, 0, H * W);
                out.add(v);
            }
        }
        return out;
    }

    @Test
    void inOrderWithAShortLastBatchAndNormalized() {
        Normalization n = new Normalization(new float[] {0.5f}, new float[] {0.25f});
        try (Batches b = new Batches(set, 10, n, Batches.Options.inOrder())) {
            assertEquals(3, b.count());
            int i = 0;
            while (b.hasNext()) {
                Batches.Batch batch = b.next();
                assertEquals(i < 20 ? 10 : 3, batch.count());
                for (int j = 0; j < batch.count(); j++, i++) {
                    assertEquals(i % 4, batch.labels()[j]);
                    float[] v = image(i);
                    for (int k = 0; k < v.length; k++) {
                        assertEquals((v[k] - 0.5f) / 0.25f, batch.images()[j * H * W + k], 0f, "image " + i + " value " + k);
                    }
                }
            }
            assertEquals(N, i);
            assertThrows(java.util.NoSuchElementException.class, b::next);
        }
    }

    @Test
    void aSeedShufflesTheSameWayAndEveryImageComesOnce() {
        Batches.Options seven = new Batches.Options(true, 0, false, 7);
        List<float[]> a;
        List<float[]> b;
        try (Batches x = new Batches(set, 4, null, seven); Batches y = new Batches(set, 4, null, seven)) {
            a = all(x);
            b = all(y);
        }
        assertEquals(N, a.size());
        boolean[] seen = new boolean[N];
        for (int k = 0; k < N; k++) {
            assertArrayEquals(a.get(k), b.get(k), "position " + k);
            for (int i = 0; i < N; i++) {
                if (java.util.Arrays.equals(a.get(k), image(i))) {
                    assertFalse(seen[i], "image " + i + " twice");
                    seen[i] = true;
                }
            }
        }
        for (int i = 0; i < N; i++) {
            assertTrue(seen[i], "image " + i + " missing");
        }
        try (Batches z = new Batches(set, 4, null, new Batches.Options(true, 0, false, 8))) {
            List<float[]> c = all(z);
            boolean differs = false;
            for (int k = 0; k < N; k++) {
                differs |= !java.util.Arrays.equals(a.get(k), c.get(k));
            }
            assertTrue(differs, "seeds 7 and 8 gave the same order");
        }
    }

    /** Each augmented image is its source shifted by at most pad (zeros outside) and maybe mirrored; both kinds occur. */
    @Test
    void cropsAndFlipsAsSpecified() {
        int pad = 2;
        List<float[]> out;
        try (Batches b = new Batches(set, 5, null, new Batches.Options(false, pad, true, 3))) {
            out = all(b);
        }
        int flipped = 0;
        int shifted = 0;
        for (int i = 0; i < N; i++) {
            float[] src = image(i);
            boolean found = false;
            for (int f = 0; f < 2 && !found; f++) {
                for (int dy = -pad; dy <= pad && !found; dy++) {
                    for (int dx = -pad; dx <= pad && !found; dx++) {
                        boolean same = true;
                        for (int y = 0; y < H && same; y++) {
                            for (int x = 0; x < W && same; x++) {
                                int sy = y + dy;
                                int sx = (f == 1 ? W - 1 - x : x) + dx;
                                float want = sy < 0 || sy >= H || sx < 0 || sx >= W ? 0f : src[sy * W + sx];
                                same = want == out.get(i)[y * W + x];
                            }
                        }
                        if (same) {
                            found = true;
                            flipped += f;
                            shifted += dy != 0 || dx != 0 ? 1 : 0;
                        }
                    }
                }
            }
            assertTrue(found, "image " + i + " is no crop or flip of its source");
        }
        assertTrue(flipped > 0 && flipped < N, flipped + " of " + N + " flipped");
        assertTrue(shifted > 0, "no image shifted");
    }

    @Test
    void closingEarlyStopsTheThread() throws InterruptedException {
        Batches b = new Batches(set, 2, null, Batches.Options.inOrder());
        b.next();
        b.close();
        b.close();
        assertFalse(b.hasNext());
        Thread.sleep(50);
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("sepnet-batches") && t.isAlive()),
                "a batch thread is still running");
        assertThrows(IllegalArgumentException.class, () -> new Batches(set, 0, null, Batches.Options.inOrder()));
        assertThrows(IllegalArgumentException.class,
                () -> new Batches(set, 2, new Normalization(new float[] {0, 0}, new float[] {1, 1}), Batches.Options.inOrder()));
    }
}
