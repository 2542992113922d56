package org.sepnet.data;

import java.io.IOException;
import java.nio.file.Path;
import org.sepnet.tensor.Shape;

/**
 * Labeled images held as their 8-bit pixels (a quarter of the floats' memory): {@link #pixels}
 * gives an image's values in [0, 1] (pixel / 255), channels first. Immutable; {@link #limit} views
 * the first images without copying.
 */
public final class ImageSet {
    private final byte[] pixels;
    private final byte[] labels;
    private final Shape image;
    private final int classes;
    private final int size;

    private ImageSet(byte[] pixels, byte[] labels, Shape image, int classes, int size) {
        this.pixels = pixels;
        this.labels = labels;
        this.image = image;
        this.classes = classes;
        this.size = size;
    }

    /**
     * An image file ([count, rows, columns] or [count, channels, rows, columns]) and its label file
     * ([count]), as MNIST and Fashion-MNIST ship them; every label must be below {@code classes}.
     */
    public static ImageSet idx(Path images, Path labels, int classes) throws IOException {
        if (classes < 1) {
            throw new IllegalArgumentException("classes " + classes + "; expected at least 1");
        }
        Idx x = Idx.read(images);
        int[] d = x.dims();
        if (d.length != 3 && d.length != 4) {
            throw new IOException(images + ": " + d.length + " dimensions; an image file has 3 (count, rows, columns) or 4 (count,"
                    + " channels, rows, columns)");
        }
        Idx y = Idx.read(labels);
        int[] l = y.dims();
        if (l.length != 1) {
            throw new IOException(labels + ": " + l.length + " dimensions; a label file has 1 (count)");
        }
        if (l[0] != d[0]) {
            throw new IOException(labels + ": " + l[0] + " labels for the " + d[0] + " images of " + images);
        }
        byte[] lb = y.bytes();
        for (int i = 0; i < lb.length; i++) {
            if ((lb[i] & 0xFF) >= classes) {
                throw new IOException(labels + ": label " + (lb[i] & 0xFF) + " at image " + i + "; expected 0 to " + (classes - 1));
            }
        }
        Shape image = d.length == 3 ? Shape.of(1, d[1], d[2]) : Shape.of(d[1], d[2], d[3]);
        return new ImageSet(x.bytes(), lb, image, classes, d[0]);
    }

    /**
     * Images from memory: one label per image (unsigned bytes, each below {@code classes}) and the
     * images' 8-bit pixels back to back, channels first. The arrays are kept, not copied.
     *
     * @param image one image's shape [channels, rows, columns]
     * @throws IllegalArgumentException when the sizes disagree or a label is out of range, naming it
     */
    public static ImageSet of(byte[] pixels, byte[] labels, Shape image, int classes) {
        if (image.rank() != 3 || classes < 1 || classes > 256) {
            throw new IllegalArgumentException("image " + image + " and " + classes + " classes; expected [C, H, W] and 1 to 256 classes");
        }
        int count = labels.length;
        if (count == 0 || (long) count * image.size() != pixels.length) {
            throw new IllegalArgumentException(pixels.length + " pixel bytes for " + count + " images of " + image + "; expected "
                    + (long) count * image.size() + " and at least one image");
        }
        for (int i = 0; i < count; i++) {
            if ((labels[i] & 0xFF) >= classes) {
                throw new IllegalArgumentException("label " + (labels[i] & 0xFF) + " at image " + i + "; expected 0 to " + (classes - 1));
            }
        }
        return new ImageSet(pixels, labels, image, classes, count);
    }

    /** The number of images. */
    public int size() {
        return size;
    }

    /** One image's shape: channels, rows, columns. */
    public Shape imageShape() {
        return image;
    }

    public int classes() {
        return classes;
    }

    /** Image {@code i}'s label, 0 to classes − 1. */
    public int label(int i) {
        return labels[check(i)] & 0xFF;
    }

    /** Image {@code i}'s values, pixel / 255 in [0, 1], into {@code dst} from {@code offset} (channels, rows, columns). */
    public void pixels(int i, float[] dst, int offset) {
        int n = (int) image.size();
        long base = (long) check(i) * n;
        for (int j = 0; j < n; j++) {
            dst[offset + j] = (pixels[(int) (base + j)] & 0xFF) / 255f;
        }
    }

    /** Image {@code i}'s 8-bit pixels (channels, rows, columns), a copy. */
    public byte[] bytes(int i) {
        int n = (int) image.size();
        long base = (long) check(i) * n;
        return java.util.Arrays.copyOfRange(pixels, (int) base, (int) base + n);
    }

    /** The first {@code n} images (all of them when n is larger), sharing this set's memory. */
    public ImageSet limit(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("limit " + n + "; expected at least 1");
        }
        return n >= size ? this : new ImageSet(pixels, labels, image, classes, n);
    }

    /** How many images each class has. */
    public int[] classCounts() {
        int[] c = new int[classes];
        for (int i = 0; i < size; i++) {
            c[labels[i] & 0xFF]++;
        }
        return c;
    }

    /** Per-channel mean and standard deviation of the values {@link #pixels} gives, over every image of this set (in double). */
    public Normalization statistics() {
        int channels = image.dim(0);
        long plane = image.size() / channels;
        double[] sum = new double[channels];
        double[] sq = new double[channels];
        long n = (long) size * image.size();
        for (long i = 0; i < n; i++) {
            int c = (int) (i / plane % channels);
            double v = (pixels[(int) i] & 0xFF) / 255.0;
            sum[c] += v;
            sq[c] += v * v;
        }
        float[] mean = new float[channels];
        float[] std = new float[channels];
        double count = (double) size * plane;
        for (int c = 0; c < channels; c++) {
            double m = sum[c] / count;
            mean[c] = (float) m;
            std[c] = (float) Math.sqrt(Math.max(sq[c] / count - m * m, 0));
        }
        return new Normalization(mean, std);
    }

    private int check(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("image " + i + " of " + size);
        }
        return i;
    }
}
