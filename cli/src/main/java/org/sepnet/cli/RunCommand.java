package org.sepnet.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.sepnet.backend.Backend;
import org.sepnet.models.Model;
import org.sepnet.runtime.Network;
import org.sepnet.tensor.AtomicFile;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Npy;
import org.sepnet.tensor.Shape;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sepnet run FILE --input x.npy --output y.npy}. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a model on images from a float32 .npy file ([N, C, H, W], or [C, H, W] for one image) and write the "
                + "network's raw output ([N, ...]: logits, unless the model itself ends in a softmax) as float32 .npy. A model that stores a "
                + "normalization (written by train or refine) takes pixel/255 values and normalizes them itself.")
final class RunCommand extends FileCommand {
    @Mixin
    ModelSource source;

    @Option(names = "--input", required = true, paramLabel = "x.npy", description = "The images.")
    String input;

    @Option(names = "--output", required = true, paramLabel = "y.npy", description = "Where to write the outputs.")
    String output;

    @Mixin
    BackendOption backend;

    @Option(names = "--batch", defaultValue = "32", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--raw", description = "Give the images to the network as they are, without the normalization a trained model stores.")
    boolean raw;

    @Override
    int run() throws IOException {
        Sources.batch(batch);
        Path out = Sources.output(output, ".npy");
        BackendOption.Choice choice = backend.choose();
        Backend b = choice.backend();
        String why = choice.why();
        Model m = source.load(null);
        Shape feature = m.input();
        Shape outShape;
        long nonFinite = 0;
        try (HostTensor x = Npy.read(Path.of(input))) {
            Shape xs = x.shape();
            int n;
            if (xs.rank() == feature.rank() && Arrays.equals(xs.dims(), feature.dims())) {
                n = 1;
            } else if (xs.rank() == feature.rank() + 1 && Arrays.equals(Arrays.copyOfRange(xs.dims(), 1, xs.rank()), feature.dims())) {
                n = xs.dim(0);
            } else {
                throw new IllegalArgumentException(input + " holds " + xs + "; " + m.name() + " expects [N, " + feature.toString().substring(1)
                        + " or " + feature);
            }
            int chunk = Math.min(batch, n);
            boolean normalize = m.normalization() != null && !raw;
            float[] values = n == 1 || normalize ? x.toArray() : null;
            if (normalize) {
                // Images given as pixel/255, prepared as the model's training images were.
                m.normalization().apply(values, 0, n, (int) (feature.size() / m.normalization().channels()));
            }
            try (Network net = Network.compile(m.graph(), feature, b, chunk);
                 HostTensor images = values != null ? HostTensor.of(feature.withBatch(n), values) : x;
                 HostTensor y = HostTensor.allocate(net.outputShape().withBatch(chunk))) {
                outShape = outputShape(net.outputShape(), n);
                long[] bad = new long[1];
                // The outputs go to the file a batch at a time: only one batch of them is ever in memory.
                AtomicFile.write(out, stream -> {
                    Npy.writeHeader(stream, outShape);
                    for (int start = 0; start < n; start += chunk) {
                        int k = Math.min(chunk, n - start);
                        HostTensor yk = y.narrowBatch(k);
                        net.forward(k == n ? images : images.sliceBatch(start, k), yk);
                        float[] v = yk.toArray();
                        for (float f : v) {
                            bad[0] += Float.isFinite(f) ? 0 : 1;
                        }
                        Npy.writeData(stream, v);
                    }
                });
                nonFinite = bad[0];
            }
        }
        int n = outShape.dim(0);
        System.out.printf("ran %s on %d image%s on %s (%s)%s; wrote %s %s%n", m.name(), n, n == 1 ? "" : "s", b.name(), why,
                m.normalization() == null ? "" : raw ? ", images as given (--raw)" : ", images normalized as the model stores", output,
                outShape);
        if (nonFinite > 0) {
            System.err.printf("sepnet run: warning: %d of %d outputs are NaN or infinite (non-finite inputs or weights propagate;"
                    + " see docs/reliability.md)%n", nonFinite, outShape.size());
        }
        return 0;
    }

    /** [n, output feature…], or a one-line error when that many outputs cannot be counted. */
    private static Shape outputShape(Shape feature, int n) {
        try {
            return feature.withBatch(n);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(n + " images of " + feature.size() + " outputs each are more values than a file can"
                    + " describe; run fewer images at a time");
        }
    }
}
