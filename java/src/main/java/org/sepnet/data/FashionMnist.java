package org.sepnet.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fashion-MNIST (Zalando's 28×28 grayscale clothing images, 10 classes; 60,000 training and 10,000
 * test images) from a directory of its four IDX files, gzip-compressed or not: by default Debian's
 * {@code dataset-fashion-mnist} package, {@code /usr/share/datasets/fashion-mnist}.
 */
public final class FashionMnist {
    /** Where Debian's {@code dataset-fashion-mnist} package puts the files. */
    public static final Path DEBIAN = Path.of("/usr/share/datasets/fashion-mnist");

    /** The class names, by label. */
    public static final java.util.List<String> LABELS = java.util.List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private FashionMnist() {}

    /** Whether {@code dir} holds the four files. */
    public static boolean present(Path dir) {
        for (String stem : new String[] {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte"}) {
            if (find(dir, stem) == null) {
                return false;
            }
        }
        return true;
    }

    /** The training split (60,000 images) from {@code dir}. */
    public static ImageSet train(Path dir) throws IOException {
        return ImageSet.idx(file(dir, "train-images-idx3-ubyte"), file(dir, "train-labels-idx1-ubyte"), LABELS.size());
    }

    /** The test split (10,000 images) from {@code dir}. */
    public static ImageSet test(Path dir) throws IOException {
        return ImageSet.idx(file(dir, "t10k-images-idx3-ubyte"), file(dir, "t10k-labels-idx1-ubyte"), LABELS.size());
    }

    private static Path find(Path dir, String stem) {
        for (String name : new String[] {stem + ".gz", stem, stem.replace("-idx", ".idx") + ".gz", stem.replace("-idx", ".idx")}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private static Path file(Path dir, String stem) throws IOException {
        Path p = find(dir, stem);
        if (p == null) {
            throw new IOException(Files.isDirectory(dir)
                    ? dir + " has no " + stem + "(.gz): not a Fashion-MNIST directory"
                    : dir.equals(DEBIAN)
                            ? "Fashion-MNIST not found at " + DEBIAN + ": install Debian's dataset-fashion-mnist package"
                                    + " (apt-get install dataset-fashion-mnist) or give the directory of its IDX files"
                            : dir + " does not exist; expected a directory holding Fashion-MNIST's IDX files");
        }
        return p;
    }
}
