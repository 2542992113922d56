package org.sepnet.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A labeled image collection with a training and a test split, as the {@code --data} option names
 * it: {@code fashion-mnist} (Debian's {@code dataset-fashion-mnist} package), or a directory holding
 * Fashion-MNIST / MNIST IDX files, CIFAR-10's binary batches or {@code .npy} image/label pairs
 * ({@code train_images.npy}, {@code train_labels.npy}, {@code test_images.npy}, {@code test_labels.npy}).
 * Splits are read when first asked for.
 */
public final class DataSet {
    private interface Loader {
        ImageSet load() throws IOException;
    }

    private final String name;
    private final List<String> labels;
    private final Loader train;
    private final Loader test;

    private DataSet(String name, List<String> labels, Loader train, Loader test) {
        this.name = name;
        this.labels = List.copyOf(labels);
        this.train = train;
        this.test = test;
    }

    /**
     * The data set {@code spec} names.
     *
     * @throws IOException naming the package to install or the directory and what it lacks
     */
    public static DataSet open(String spec) throws IOException {
        if (spec.equals("fashion-mnist")) {
            return idx(spec, FashionMnist.DEBIAN);
        }
        Path dir = Path.of(spec);
        if (!Files.isDirectory(dir)) {
            throw new IOException("data " + spec + ": no such directory; expected fashion-mnist (Debian's dataset-fashion-mnist package) "
                    + "or a directory of IDX files or CIFAR-10 binary batches");
        }
        if (Cifar10.present(dir)) {
            List<String> labels = Cifar10.labels(dir);
            return new DataSet(spec, labels, () -> Cifar10.train(dir), () -> Cifar10.test(dir));
        }
        if (FashionMnist.present(dir)) {
            return idx(spec, dir);
        }
        if (NpyPairs.present(dir)) {
            int classes = NpyPairs.classes(dir);
            List<String> labels = namesOr(dir, classes);
            return new DataSet(spec, labels, () -> NpyPairs.read(dir, "train", labels.size()), () -> NpyPairs.read(dir, "test", labels.size()));
        }
        throw new IOException("data " + spec + ": found neither train-images-idx3-ubyte(.gz) and its three companions (Fashion-MNIST, "
                + "MNIST), nor data_batch_1.bin and test_batch.bin (CIFAR-10 binary), nor train_images.npy, train_labels.npy, "
                + "test_images.npy and test_labels.npy");
    }

    private static DataSet idx(String name, Path dir) throws IOException {
        if (!FashionMnist.present(dir)) {
            FashionMnist.test(dir);  // names the missing package or file
        }
        return new DataSet(name, idxLabels(dir), () -> FashionMnist.train(dir), () -> FashionMnist.test(dir));
    }

    /**
     * MNIST and Fashion-MNIST share their file names: a {@code labels.txt} of ten lines names the
     * classes; otherwise a directory whose path says {@code fashion} gets Fashion-MNIST's names and
     * any other the digits.
     */
    private static List<String> idxLabels(Path dir) throws IOException {
        if (!Files.isRegularFile(dir.resolve("labels.txt"))
                && dir.toAbsolutePath().toString().toLowerCase(java.util.Locale.ROOT).contains("fashion")) {
            return FashionMnist.LABELS;
        }
        List<String> names = namesOr(dir, FashionMnist.LABELS.size());
        if (names.size() != FashionMnist.LABELS.size()) {
            throw new IOException(dir.resolve("labels.txt") + ": " + names.size() + " class names; IDX label files here hold "
                    + FashionMnist.LABELS.size() + " classes");
        }
        return names;
    }

    /** The class names of {@code dir/labels.txt} (one per line; at least {@code classes}), else the class numbers. */
    private static List<String> namesOr(Path dir, int classes) throws IOException {
        Path txt = dir.resolve("labels.txt");
        if (Files.isRegularFile(txt)) {
            List<String> names = Files.readAllLines(txt).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
            if (names.size() < classes || names.size() > 256) {
                throw new IOException(txt + ": " + names.size() + " class names; expected " + classes + " to 256");
            }
            return names;
        }
        return java.util.stream.IntStream.range(0, classes).mapToObj(String::valueOf).toList();
    }

    /** What {@code --data} said. */
    public String name() {
        return name;
    }

    /** The class names, by label. */
    public List<String> labels() {
        return labels;
    }

    public ImageSet train() throws IOException {
        return train.load();
    }

    public ImageSet test() throws IOException {
        return test.load();
    }

    /** {@code train} or {@code test}. */
    public ImageSet split(String split) throws IOException {
        return switch (split) {
            case "train" -> train();
            case "test" -> test();
            default -> throw new IllegalArgumentException("split " + split + "; expected train or test");
        };
    }
}
