package org.sepnet.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.sepnet.tensor.Shape;

/**
 * CIFAR-10 in its binary version ({@code cifar-10-batches-bin}): {@code data_batch_1.bin} …
 * {@code data_batch_5.bin} (training, 50,000 images) and {@code test_batch.bin} (10,000), each a
 * run of 3,073-byte records: the label, then 1,024 red, 1,024 green and 1,024 blue pixels, rows first.
 */
public final class Cifar10 {
    /** The class names, by label (also in the directory's {@code batches.meta.txt}). */
    public static final List<String> LABELS = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
            "truck");

    private static final Shape IMAGE = Shape.of(3, 32, 32);
    private static final int RECORD = 1 + 3 * 32 * 32;

    private Cifar10() {}

    /** Whether {@code dir} holds the test batch and the first training batch. */
    public static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve("test_batch.bin")) && Files.isRegularFile(dir.resolve("data_batch_1.bin"));
    }

    /** The training split: every {@code data_batch_N.bin} from 1 up, in order. */
    public static ImageSet train(Path dir) throws IOException {
        List<Path> files = new java.util.ArrayList<>();
        for (int i = 1; Files.isRegularFile(dir.resolve("data_batch_" + i + ".bin")); i++) {
            files.add(dir.resolve("data_batch_" + i + ".bin"));
        }
        if (files.isEmpty()) {
            throw new IOException(dir + " has no data_batch_1.bin: not a CIFAR-10 binary directory");
        }
        return read(files, dir + "/data_batch_*.bin");
    }

    /** The test split, {@code test_batch.bin}. */
    public static ImageSet test(Path dir) throws IOException {
        Path f = dir.resolve("test_batch.bin");
        if (!Files.isRegularFile(f)) {
            throw new IOException(dir + " has no test_batch.bin: not a CIFAR-10 binary directory");
        }
        return read(List.of(f), f.toString());
    }

    /** The class names of {@code batches.meta.txt} when it lists ten, else {@link #LABELS}. */
    public static List<String> labels(Path dir) throws IOException {
        Path meta = dir.resolve("batches.meta.txt");
        if (Files.isRegularFile(meta)) {
            List<String> names = Files.readAllLines(meta, StandardCharsets.UTF_8).stream().map(String::strip).filter(s -> !s.isEmpty())
                    .toList();
            if (names.size() == LABELS.size()) {
                return names;
            }
        }
        return LABELS;
    }

    private static ImageSet read(List<Path> files, String source) throws IOException {
        long total = 0;
        for (Path f : files) {
            long size = Files.size(f);
            if (size == 0 || size % RECORD != 0) {
                throw new IOException(f + ": " + size + " bytes; a CIFAR-10 batch holds whole " + RECORD + "-byte records");
            }
            total += size / RECORD;
        }
        if (total * (RECORD - 1) > Integer.MAX_VALUE - 8) {
            throw new IOException(source + ": " + total + " images are more than one array holds");
        }
        byte[] pixels = new byte[(int) (total * (RECORD - 1))];
        byte[] labels = new byte[(int) total];
        int n = 0;
        for (Path f : files) {
            byte[] b = Files.readAllBytes(f);
            for (int r = 0; r < b.length / RECORD; r++, n++) {
                labels[n] = b[r * RECORD];
                System.arraycopy(b, r * RECORD + 1, pixels, n * (RECORD - 1), RECORD - 1);
            }
        }
        try {
            return ImageSet.of(pixels, labels, IMAGE, LABELS.size());
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": " + e.getMessage(), e);
        }
    }
}
