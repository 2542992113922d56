package org.sepnet.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sepnet.tensor.Npy;
import org.sepnet.tensor.Shape;

/**
 * Images and labels as NumPy files, a pair per split: {@code train_images.npy} with
 * {@code train_labels.npy}, {@code test_images.npy} with {@code test_labels.npy}. Images are
 * [N, H, W] or [N, C, H, W], either uint8 pixels or float32 values in [0, 1] (kept as
 * round(255·v), the 8-bit pixels they stand for); labels are [N] of any integer type, from 0.
 */
final class NpyPairs {
    private NpyPairs() {}

    static boolean present(Path dir) {
        for (String f : new String[] {"train_images.npy", "train_labels.npy", "test_images.npy", "test_labels.npy"}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                return false;
            }
        }
        return true;
    }

    /** The classes of the training labels: one more than the largest. */
    static int classes(Path dir) throws IOException {
        Npy.Array labels = Npy.readArray(dir.resolve("train_labels.npy"));
        long max = -1;
        for (long i = 0; i < labels.shape().size(); i++) {
            max = Math.max(max, labels.get(i));
        }
        if (max < 0 || max > 255) {
            throw new IOException(dir.resolve("train_labels.npy") + ": largest label " + max + "; expected 0 to 255");
        }
        return (int) max + 1;
    }

    static ImageSet read(Path dir, String split, int classes) throws IOException {
        Path imagesFile = dir.resolve(split + "_images.npy");
        Path labelsFile = dir.resolve(split + "_labels.npy");
        Npy.Array x = Npy.readArray(imagesFile);
        Npy.Array y = Npy.readArray(labelsFile);
        int[] d = x.shape().dims();
        if (d.length != 3 && d.length != 4) {
            throw new IOException(imagesFile + ": shape " + x.shape() + "; expected [N, H, W] or [N, C, H, W]");
        }
        if (y.shape().rank() != 1 || y.shape().dim(0) != d[0] || y.type().equals("f4")) {
            throw new IOException(labelsFile + ": shape " + y.shape() + " of " + y.type() + "; expected " + d[0]
                    + " integer labels, one per image of " + imagesFile);
        }
        byte[] labels = new byte[d[0]];
        for (int i = 0; i < d[0]; i++) {
            long v = y.get(i);
            if (v < 0 || v >= classes) {
                throw new IOException(labelsFile + ": label " + v + " at image " + i + "; expected 0 to " + (classes - 1));
            }
            labels[i] = (byte) v;
        }
        byte[] pixels;
        if (x.type().equals("u1")) {
            pixels = x.data();
        } else if (x.type().equals("f4")) {
            pixels = new byte[(int) x.shape().size()];
            for (int i = 0; i < pixels.length; i++) {
                float v = x.getFloat(i);
                if (!(v >= 0 && v <= 1)) {
                    throw new IOException(imagesFile + ": value " + v + " at element " + i + "; expected float32 images in [0, 1] (pixel/255)");
                }
                pixels[i] = (byte) Math.round(v * 255);
            }
        } else {
            throw new IOException(imagesFile + ": dtype " + x.type() + "; expected uint8 pixels or float32 values in [0, 1]");
        }
        Shape image = d.length == 3 ? Shape.of(1, d[1], d[2]) : Shape.of(d[1], d[2], d[3]);
        try {
            return ImageSet.of(pixels, labels, image, classes);
        } catch (IllegalArgumentException e) {
            throw new IOException(imagesFile + ": " + e.getMessage(), e);
        }
    }
}
