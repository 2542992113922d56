package org.sepnet.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sepnet.io.ModelIO;
import org.sepnet.io.Pretrained;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.tensor.Shape;

/** Where commands get models from: a zoo name or a model file. */
final class Sources {
    private Sources() {}

    /** Whether {@code arg} names a file rather than a zoo model. */
    static boolean isFile(String arg) {
        Path p = Path.of(arg);
        return Files.exists(p) || ModelIO.bySuffix(p) != null || arg.contains("/");
    }

    /**
     * The model {@code arg} names: a zoo model (weights from {@code seed}) or a {@code .sepnet},
     * {@code .caffemodel} or {@code .onnx} file.
     *
     * @param input the input feature shape to use, or null for the model's own
     */
    static Model load(String arg, Shape input, long seed) throws IOException {
        return load(arg, input, 0, seed);
    }

    /**
     * As {@link #load(String, Shape, long)}, a zoo model built for {@code classes} classes (0: its
     * own) and, when {@code input} has another channel count, for that many channels.
     */
    static Model load(String arg, Shape input, int classes, long seed) throws IOException {
        if (classes < 0) {
            throw new IllegalArgumentException("--classes " + classes + "; expected at least 1");
        }
        if (classes > 0 && (isFile(arg) || Pretrained.names().contains(arg))) {
            throw new IllegalArgumentException("--classes applies to zoo models; " + arg + " has its own classifier");
        }
        if (isFile(arg)) {
            return ModelIO.load(Path.of(arg), input);
        }
        if (Pretrained.names().contains(arg)) {
            Model m = Pretrained.load(arg);
            if (input != null && !input.equals(m.input())) {
                throw new IllegalArgumentException("--input " + input + ": the trained model " + arg + " takes " + m.input() + " images only");
            }
            return m;
        }
        if (!Zoo.names().contains(arg)) {
            throw new IllegalArgumentException("unknown model '" + arg + "': no such file and no such zoo model; expected a .sepnet, "
                    + ".caffemodel or .onnx file, or one of " + String.join(", ", Zoo.names()) + " (random weights), or a trained model: "
                    + String.join(", ", Pretrained.names()));
        }
        Model m = Zoo.build(arg, seed);
        boolean otherChannels = input != null && input.rank() == 3 && input.dim(0) != m.input().dim(0);
        if (classes > 0 || otherChannels) {
            long own = m.graph().outputShape(m.input()).size();
            return Zoo.build(arg, seed, input != null ? input : m.input(), classes > 0 ? classes : (int) own);
        }
        if (input != null && !input.equals(m.input())) {
            m = m.withInput(input);
            m.graph().outputShape(input);
        }
        return m;
    }

    /**
     * The model {@code arg} names, for images of {@code image} and {@code classes} classes: a file
     * or a trained model as it is, a zoo model built for them (with weights from {@code seed}).
     */
    static Model forData(String arg, long seed, Shape image, int classes) throws IOException {
        if (isFile(arg) || Pretrained.names().contains(arg)) {
            return load(arg, null, seed);
        }
        return Zoo.build(arg, seed, image, classes);
    }

    /** Parses an input feature shape such as {@code 3x32x32}. */
    static Shape shape(String s) {
        if (s == null) {
            return null;
        }
        String[] parts = s.strip().toLowerCase().split("[x,×]");
        int[] d = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                d[i] = Integer.parseInt(parts[i].strip());
                if (d[i] < 1) {
                    throw new NumberFormatException();
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--input " + s + "; expected positive sizes such as 3x32x32 (channels x height x width)");
        }
        if (d.length != 3) {
            throw new IllegalArgumentException("--input " + s + " has " + d.length + " sizes; expected 3 (channels x height x width)");
        }
        return Shape.of(d);
    }

    /** Checks that an output file name has the given suffix and its directory exists. */
    static Path output(String file, String suffix) {
        Path p = Path.of(file);
        if (p.getFileName() == null || !p.getFileName().toString().toLowerCase().endsWith(suffix)) {
            throw new IllegalArgumentException("output " + file + "; expected a file name ending in " + suffix);
        }
        Path dir = p.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("output " + file + ": directory " + dir + " does not exist");
        }
        return p;
    }

    /** Checks a {@code --batch} value of the commands that run a network ({@code run}, {@code profile}). */
    static int batch(int batch) {
        if (batch < 1 || batch > 4096) {
            throw new IllegalArgumentException("--batch " + batch + "; expected 1 to 4096");
        }
        return batch;
    }
}
