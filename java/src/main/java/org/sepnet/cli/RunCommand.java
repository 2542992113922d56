package org.sepnet.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.sepnet.backend.Backend;
import org.sepnet.layers.Network;
import org.sepnet.models.Model;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Npy;
import org.sepnet.tensor.Shape;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sepnet run FILE --input x.npy --output y.npy}. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a model on images from a float32 .npy file ([N, C, H, W], or [C, H, W] for one image) and write the "
                + "network's raw output ([N, ...]: logits, unless the model itself ends in a softmax) as float32 .npy.")
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

    @Override
    int run() throws IOException {
        Sources.batch(batch);
        Path out = Sources.output(output, ".npy");
        BackendOption.Choice choice = backend.choose();
        Backend b = choice.backend();
        String why = choice.why();
        Model m = source.load(null);
        float[] x;
        Shape xs;
        try (HostTensor t = Npy.read(Path.of(input))) {
            xs = t.shape();
            x = t.toArray();
        }
        Shape feature = m.input();
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
        float[] y;
        Shape outFeature;
        try (Network net = Network.compile(m.graph(), feature, b, chunk)) {
            outFeature = net.outputShape();
            int inSize = (int) feature.size();
            int outSize = (int) outFeature.size();
            y = new float[n * outSize];
            for (int start = 0; start < n; start += chunk) {
                int k = Math.min(chunk, n - start);
                try (HostTensor xi = HostTensor.of(feature.withBatch(k), Arrays.copyOfRange(x, start * inSize, (start + k) * inSize));
                     HostTensor yi = HostTensor.allocate(outFeature.withBatch(k))) {
                    net.forward(xi, yi);
                    float[] part = yi.toArray();
                    System.arraycopy(part, 0, y, start * outSize, part.length);
                }
            }
        }
        try (HostTensor result = HostTensor.of(outFeature.withBatch(n), y)) {
            Npy.write(out, result);
        }
        System.out.printf("ran %s on %d image%s on %s (%s); wrote %s %s%n", m.name(), n, n == 1 ? "" : "s", b.name(), why, output,
                outFeature.withBatch(n));
        return 0;
    }
}
