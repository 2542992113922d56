package org.sepnet.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.sepnet.io.ModelFile;
import org.sepnet.io.ModelIO;
import org.sepnet.io.Pretrained;
import org.sepnet.models.Model;

/**
 * A model read once on the driver and kept as the bytes of a {@code .sepnet} file, the form that
 * is broadcast to executors and saved with a pipeline. ONNX and Caffe files are converted on the
 * way in, so executors only ever decode {@code .sepnet} bytes.
 */
final class ShippedModel {
    /** Larger model files are refused before they are read. */
    static final long MAX_BYTES = 1L << 30;

    final Model model;
    final byte[] bytes;
    /** SHA-256 of {@link #bytes}, hex: the key executors cache predictors by. */
    final String id;

    private ShippedModel(Model model, byte[] bytes) {
        this.model = model;
        this.bytes = bytes;
        this.id = sha256(bytes);
    }

    static ShippedModel of(Model m) {
        return new ShippedModel(m, ModelFile.encode(m));
    }

    static ShippedModel decode(byte[] bytes, String name) throws IOException {
        return new ShippedModel(ModelFile.decode(bytes, name), bytes);
    }

    /**
     * A model shipped in the sepnet jar by name, or a model file: a local path or any URI Hadoop
     * reads ({@code hdfs://}, {@code s3a://}, ...).
     *
     * @throws IOException when the file is missing, too large, unreadable or not a model
     */
    static ShippedModel read(String pathOrName, Configuration hadoop) throws IOException {
        if (Pretrained.names().contains(pathOrName)) {
            return of(Pretrained.load(pathOrName));
        }
        URI uri = new org.apache.hadoop.fs.Path(pathOrName).toUri();
        if (uri.getScheme() == null) {
            Path local = Path.of(uri.getPath());
            if (!Files.exists(local)) {
                throw new FileNotFoundException("model " + pathOrName + ": no such file; expected a .sepnet, .onnx or .caffemodel file, "
                        + "a Hadoop URI of one, or a shipped model: " + String.join(", ", Pretrained.names()));
            }
            return of(ModelIO.load(local, null));
        }
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
        FileSystem fs = p.getFileSystem(hadoop);
        if (!fs.exists(p)) {
            throw new FileNotFoundException("model " + pathOrName + ": no such file");
        }
        long length = fs.getFileStatus(p).getLen();
        if (length > MAX_BYTES) {
            throw new IOException("model " + pathOrName + " is " + length + " bytes; expected at most " + MAX_BYTES);
        }
        String name = p.getName();
        Path tmp = Files.createTempFile("sepnet-model-", name.substring(Math.max(0, name.lastIndexOf('.'))));
        try {
            try (InputStream in = fs.open(p)) {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            Model m = ModelIO.load(tmp, null);
            String base = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
            return of(new Model(base, m.description(), m.graph(), m.input(), m.normalization(), m.labels()));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** What executors need without decoding: id, name, [C, H, W], class names. */
    PartitionClassifier.ModelSpec spec() {
        int[] chw = {model.input().dim(0), model.input().dim(1), model.input().dim(2)};
        return new PartitionClassifier.ModelSpec(id, model.name(), chw, List.copyOf(model.labels()));
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
