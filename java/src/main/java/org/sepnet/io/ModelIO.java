package org.sepnet.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.sepnet.models.Model;
import org.sepnet.tensor.AtomicFile;
import org.sepnet.tensor.FileChecks;
import org.sepnet.tensor.Shape;

/**
 * Loads and saves models in any supported format, telling them apart by content and name: a
 * {@code .sepnet} file by its magic bytes, a Caffe model by the {@code .caffemodel} suffix, an
 * ONNX model by {@code .onnx}.
 *
 * <pre>{@code
 * Model m = ModelIO.load(Path.of("resnet20.caffemodel"), null);
 * ModelIO.save(m, Path.of("resnet20.sepnet"));
 * }</pre>
 */
public final class ModelIO {
    /** A model file format. */
    public enum Format {
        /** This library's {@link ModelFile}. */
        SEPNET(".sepnet"),
        /** A {@code caffe.NetParameter} protobuf, read by {@link CaffeImporter}. */
        CAFFE(".caffemodel"),
        /** An ONNX {@code ModelProto}, read by {@link OnnxImporter} and written by {@link OnnxExporter}. */
        ONNX(".onnx");

        private final String suffix;

        Format(String suffix) {
            this.suffix = suffix;
        }

        /** The usual file name suffix, e.g. {@code .onnx}. */
        public String suffix() {
            return suffix;
        }
    }

    private ModelIO() {}

    /**
     * The format of an existing file: {@link Format#SEPNET} when it starts with the magic bytes,
     * otherwise by its suffix.
     *
     * @throws IOException when the file cannot be read or its format cannot be told
     */
    public static Format formatOf(Path file) throws IOException {
        FileChecks.readable(file, "a model file (.sepnet, .caffemodel or .onnx)");
        byte[] head = new byte[ModelFormat.MAGIC.length];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n == head.length && Arrays.equals(head, ModelFormat.MAGIC)) {
            return Format.SEPNET;
        }
        Format f = bySuffix(file);
        if (f == null) {
            throw new IOException(file + ": unknown model format; expected a .sepnet file, a .caffemodel or an .onnx file");
        }
        if (f == Format.SEPNET) {
            throw new CorruptModelException(file + ": does not start with the .sepnet magic bytes \"SEPNET\\0\\n\"; "
                    + "it is not a sepnet model file or its header is damaged");
        }
        return f;
    }

    /** The format a file name asks for by its suffix, or null. */
    public static Format bySuffix(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        for (Format f : Format.values()) {
            if (n.endsWith(f.suffix)) {
                return f;
            }
        }
        return null;
    }

    /**
     * Loads a model from {@code file} in whatever format it is.
     *
     * @param input the input feature shape [C, H, W] to use, or null for the one the file gives
     *              (Caffe and ONNX files without a fixed input size need it)
     * @throws CorruptModelException when a {@code .sepnet} file is damaged
     * @throws IOException when the file cannot be read or holds something unsupported
     */
    public static Model load(Path file, Shape input) throws IOException {
        Model m = switch (formatOf(file)) {
            case SEPNET -> ModelFile.read(file);
            case CAFFE -> CaffeImporter.read(file, input);
            case ONNX -> OnnxImporter.read(file, input);
        };
        if (input != null && !input.equals(m.input())) {
            m = m.withInput(input);
        }
        try {
            m.graph().outputShape(m.input());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException(file + ": the network does not accept input " + m.input() + ": " + e.getMessage(), e);
        }
        return m;
    }

    /**
     * Saves {@code model} to {@code file}: as ONNX when the name ends in {@code .onnx}, otherwise
     * as a {@code .sepnet} file. Written atomically ({@link AtomicFile}): a failure never leaves
     * half a model behind.
     */
    public static void save(Model model, Path file) throws IOException {
        Format f = bySuffix(file);
        if (f == Format.CAFFE) {
            throw new IOException(file + ": writing Caffe models is not supported; save as .sepnet or .onnx");
        }
        AtomicFile.write(file, f == Format.ONNX ? OnnxExporter.encode(model) : ModelFile.encode(model));
    }
}
