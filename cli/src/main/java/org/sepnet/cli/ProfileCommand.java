package org.sepnet.cli;

import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import org.sepnet.backend.Backend;
import org.sepnet.models.Model;
import org.sepnet.runtime.Network;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sepnet profile MODEL}: where a forward pass spends its time, op by op. */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Time every op of a model's forward pass on random images (median of --repetitions, each op waited for), "
                + "with its implementation and share, and compare their sum with whole forward passes.")
final class ProfileCommand extends FileCommand {
    @Mixin
    ModelOptions options;

    @Mixin
    BackendOption backend;

    @Option(names = "--batch", defaultValue = "1", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--repetitions", defaultValue = "50", description = "Timed passes; medians are reported (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Override
    int run() throws IOException {
        Sources.batch(batch);
        if (repetitions < 1) {
            throw new IllegalArgumentException("--repetitions " + repetitions + "; expected 1 or more");
        }
        BackendOption.Choice choice = backend.choose();
        Backend b = choice.backend();
        String why = choice.why();
        Model m = options.build();
        Shape shape = m.input().withBatch(batch);
        float[] x = new float[(int) shape.size()];
        SplittableRandom r = new SplittableRandom(options.seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        try (Network net = Network.compile(m.graph(), m.input(), b, batch);
             HostTensor host = HostTensor.of(shape, x);
             Tensor in = b.allocate(shape)) {
            in.copyFrom(host);
            List<Network.OpTime> ops = net.profile(in, repetitions);
            double[] passes = new double[repetitions];
            for (int i = 0; i < repetitions; i++) {
                long t0 = System.nanoTime();
                net.forward(in);
                passes[i] = (System.nanoTime() - t0) / 1e3;
            }
            java.util.Arrays.sort(passes);
            double pass = passes[repetitions / 2];
            double sum = ops.stream().mapToDouble(Network.OpTime::micros).sum();
            System.out.printf("%s on %s (%s), batch %d, medians of %d passes%n%n", m.name(), b.name(), why, batch, repetitions);
            Table t = new Table("#", "op", "µs", "share");
            for (int i = 0; i < ops.size(); i++) {
                Network.OpTime o = ops.get(i);
                t.row(Integer.toString(i + 1), o.op(), String.format("%.1f", o.micros()), String.format("%.1f%%", 100 * o.micros() / sum));
            }
            t.print(System.out);
            System.out.printf("%nsum of the ops: %.1f µs; a whole forward pass: %.1f µs (%.1f images/s); outside the ops: %.1f µs%n", sum, pass,
                    batch * 1e6 / pass, pass - sum);
        }
        return 0;
    }
}
