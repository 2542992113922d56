package org.sepnet.data;

import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * One epoch of an {@link ImageSet} in batches, prepared on a background thread one batch ahead of
 * the caller (the backend computes while the next batch is assembled). Images are shuffled with
 * the seed (or kept in order), optionally augmented — a random crop of the image zero-padded by
 * {@code pad} pixels on every side, and a horizontal flip with probability ½ — then normalized.
 * The same seed gives the same batches, bit for bit, whatever the timing; the last batch may be
 * short. Close it (or read it to the end) to stop the thread.
 */
public final class Batches implements AutoCloseable {
    /** Shuffling and augmentation; {@code pad} 0 and no flip is none. */
    public record Options(boolean shuffle, int pad, boolean flip, long seed) {
        public Options {
            if (pad < 0) {
                throw new IllegalArgumentException("crop padding " + pad + "; expected at least 0");
            }
        }

        /** In order, no augmentation: evaluation. */
        public static Options inOrder() {
            return new Options(false, 0, false, 0);
        }
    }

    /** {@code count} images, [count, channels, rows, columns] normalized values, and their labels. */
    public record Batch(float[] images, int[] labels, int count) {}

    private static final Batch END = new Batch(new float[0], new int[0], 0);

    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(1);
    private final Thread worker;
    private final int batches;
    private int taken;
    private volatile boolean closed;

    /**
     * @param normalization applied to every image (its channels must match the set's); null: none
     */
    public Batches(ImageSet set, int batchSize, Normalization normalization, Options options) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch " + batchSize + "; expected at least 1");
        }
        if (normalization != null && normalization.channels() != set.imageShape().dim(0)) {
            throw new IllegalArgumentException("normalization for " + normalization.channels() + " channels; the images have "
                    + set.imageShape().dim(0));
        }
        int n = set.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(options.seed());
        if (options.shuffle()) {
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        // Each image's augmentation drawn here, in image order, so the batches do not depend on timing.
        int[] dy = new int[n];
        int[] dx = new int[n];
        boolean[] flip = new boolean[n];
        for (int k = 0; k < n; k++) {
            dy[k] = options.pad() > 0 ? r.nextInt(2 * options.pad() + 1) - options.pad() : 0;
            dx[k] = options.pad() > 0 ? r.nextInt(2 * options.pad() + 1) - options.pad() : 0;
            flip[k] = options.flip() && r.nextBoolean();
        }
        this.batches = (n + batchSize - 1) / batchSize;
        worker = new Thread(() -> produce(set, batchSize, normalization, order, dy, dx, flip), "sepnet-batches");
        worker.setDaemon(true);
        worker.start();
    }

    private void produce(ImageSet set, int batchSize, Normalization normalization, int[] order, int[] dy, int[] dx, boolean[] flip) {
        int size = (int) set.imageShape().size();
        int channels = set.imageShape().dim(0);
        int rows = set.imageShape().dim(1);
        int cols = set.imageShape().dim(2);
        float[] image = new float[size];
        try {
            for (int b = 0; b < batches && !closed; b++) {
                int count = Math.min(batchSize, order.length - b * batchSize);
                float[] x = new float[count * size];
                int[] labels = new int[count];
                for (int j = 0; j < count; j++) {
                    int k = b * batchSize + j;
                    int i = order[k];
                    labels[j] = set.label(i);
                    set.pixels(i, image, 0);
                    place(image, x, j * size, channels, rows, cols, dy[k], dx[k], flip[k]);
                }
                if (normalization != null) {
                    normalization.apply(x, 0, count, rows * cols);
                }
                queue.put(new Batch(x, labels, count));
            }
            queue.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            queue.clear();
            queue.offer(e);
        }
    }

    // out[c][y][x] = image[c][y + dy][x' + dx] (0 outside), x' = cols − 1 − x when flipped.
    private static void place(float[] image, float[] out, int offset, int channels, int rows, int cols, int dy, int dx, boolean flip) {
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < rows; y++) {
                int sy = y + dy;
                for (int x = 0; x < cols; x++) {
                    int sx = (flip ? cols - 1 - x : x) + dx;
                    out[offset + (c * rows + y) * cols + x] = sy < 0 || sy >= rows || sx < 0 || sx >= cols ? 0f
                            : image[(c * rows + sy) * cols + sx];
                }
            }
        }
    }

    /** Batches in the epoch. */
    public int count() {
        return batches;
    }

    public boolean hasNext() {
        return taken < batches && !closed;
    }

    /** The next batch, waiting for it when the background thread is behind. */
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException(closed ? "these batches are closed" : "the epoch's " + batches + " batches were all taken");
        }
        Object o;
        try {
            o = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a batch", e);
        }
        if (o instanceof RuntimeException e) {
            close();
            throw new IllegalStateException("preparing a batch failed: " + e.getMessage(), e);
        }
        taken++;
        return (Batch) o;
    }

    /** Stops the background thread (idempotent). */
    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
