package org.sepnet.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.ErrorBound;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.Binarizer;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sepnet demo}: a pattern residual block on random input, run on every available backend,
 * each output checked against the reference under {@link ErrorBound}, with a timing table.
 * Timings are wall-clock medians of repeated runs in this process: a quick look, not a benchmark
 * (the JMH suite in {@code benchmarks/} is).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a pattern residual block (binarized k×k conv + float 1×1 conv, + bias, ReLU) on random input "
                + "on every available backend, check each output against the reference, and print a timing table.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--batch", defaultValue = "8", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--channels", defaultValue = "64", description = "Input and output channels (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--size", defaultValue = "32", description = "Input height and width (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--kernel", defaultValue = "3", description = "Pattern kernel size k, odd (default: ${DEFAULT-VALUE}).")
    int kernel;

    @Option(names = "--stride", defaultValue = "1", description = "Stride of both branches (default: ${DEFAULT-VALUE}).")
    int stride;

    @Option(names = "--groups", defaultValue = "1", description = "Groups of the k×k branch (default: ${DEFAULT-VALUE}).")
    int groups;

    @Option(names = "--pointwise-groups", defaultValue = "1", description = "Groups of the 1×1 branch (default: ${DEFAULT-VALUE}).")
    int pointwiseGroups;

    @Option(names = "--seconds", defaultValue = "1", description = "Timing budget per backend in seconds (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the random weights and input (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--backend", split = ",", description = "Only these backends (default: every available one).")
    List<String> only;

    @Override
    public Integer call() {
        PrbDesc desc;
        try {
            ConvDesc k = ConvDesc.builder().batch(batch).channels(channels, channels).input(size, size).kernel(kernel)
                    .pad((kernel - 1) / 2).stride(stride).groups(groups).build();
            desc = PrbDesc.of(k, pointwiseGroups);
            if (seconds <= 0 || seconds > 600) {
                throw new IllegalArgumentException("--seconds " + seconds + "; expected a value in (0, 600]");
            }
            if (only != null) {
                only.forEach(Backends::byName);
            }
        } catch (IllegalArgumentException e) {
            System.err.println("sepnet demo: " + e.getMessage());
            return 2;
        }
        ConvDesc k = desc.pattern();
        PatternWeights pattern = Binarizer.binarize(ConvWeights.random(channels, k.inChannelsPerGroup(), kernel, kernel, true, seed));
        ConvWeights pointwise = ConvWeights.random(channels, desc.pointwise().inChannelsPerGroup(), 1, 1, true, seed + 1);
        float[] input = new float[(int) k.inputShape().size()];
        SplittableRandom r = new SplittableRandom(seed + 2);
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) (r.nextDouble() * 2 - 1);
        }
        long terms = (long) k.inChannelsPerGroup() * kernel * kernel + desc.pointwise().inChannelsPerGroup() + 1;

        System.out.println("pattern residual block " + desc.problem() + " (seed " + seed + ")");
        System.out.printf("  y = ReLU(alpha * (B %s* x) + W1 * x + b): %.1f M multiply-accumulates, %d binarized %dx%d slices + %d float 1x1 weights%n",
                kernel + "x" + kernel, desc.macs() / 1e6, pattern.paperParameterCount(), kernel, kernel,
                pointwise.weights().length);
        Backends.Selection chosen = Backends.select();
        System.out.println("  chosen backend: " + chosen.backend().name() + " (" + chosen.reason() + ")");
        System.out.println();

        float[] reference;
        float[] absSum;
        try (HostTensor x = HostTensor.of(k.inputShape(), input);
             HostTensor ax = HostTensor.of(k.inputShape(), abs(input));
             HostTensor y = HostTensor.allocate(k.outputShape());
             UnaryOp ref = ReferenceBackend.instance().patternResidualBlock(desc, pattern, pointwise, Activation.RELU);
             UnaryOp refAbs = ReferenceBackend.instance().patternResidualBlock(desc, pattern.absolute(), pointwise.absolute(),
                     Activation.NONE)) {
            ref.run(x, y);
            reference = y.toArray();
            refAbs.run(ax, y);
            absSum = y.toArray();
        }

        Table table = new Table("backend", "implementation", "median ms", "GFLOP/s", "vs reference", "max |err|", "err/bound", "check");
        boolean allPassed = true;
        double referenceMs = Double.NaN;
        List<Backend> backends = new ArrayList<>(Backends.all());
        // The reference goes first so every other row can state its speed-up.
        backends.sort((a, b) -> Boolean.compare(!a.name().equals(ReferenceBackend.NAME), !b.name().equals(ReferenceBackend.NAME)));
        for (Backend b : backends) {
            if (only != null && !only.contains(b.name())) {
                continue;
            }
            if (!b.availability().available()) {
                table.row(b.name(), "-", "-", "-", "-", "-", "-", "unavailable: " + b.availability().detail());
                continue;
            }
            try (Tensor x = b.allocate(k.inputShape());
                 Tensor y = b.allocate(k.outputShape());
                 UnaryOp op = b.patternResidualBlock(desc, pattern, pointwise, Activation.RELU)) {
                x.copyFrom(input);
                float[] poison = new float[(int) y.shape().size()];
                Arrays.fill(poison, Float.NaN);
                y.copyFrom(poison);
                op.run(x, y);
                b.synchronize();
                ErrorBound.Result check = ErrorBound.compare(y.toArray(), reference, absSum, terms);
                allPassed &= check.passed();
                double ms = medianMillis(b, op, x, y);
                if (b.name().equals(ReferenceBackend.NAME)) {
                    referenceMs = ms;
                }
                table.row(b.name(), op.implementation(), String.format("%.3f", ms),
                        String.format("%.2f", 2.0 * desc.macs() / (ms * 1e6)),
                        Double.isNaN(referenceMs) ? "-" : String.format("%.1fx", referenceMs / ms),
                        String.format("%.2e", check.maxAbsError()), String.format("%.3f", check.maxRatio()),
                        check.passed() ? "ok" : "FAILED: " + check.bad() + " of " + check.count() + " outputs outside the bound ("
                                + check.nonFinite() + " not finite)");
            } catch (RuntimeException e) {
                allPassed = false;
                table.row(b.name(), "-", "-", "-", "-", "-", "-", "FAILED: " + e);
            }
        }
        table.print(System.out);
        System.out.println();
        System.out.println("err/bound: largest |output - reference| divided by the float32 rounding bound gamma_K * sum|terms| "
                + "(K = " + terms + "); <= 1 passes.");
        System.out.println("Timings: wall-clock median in this process (" + seconds + " s budget per backend); "
                + "benchmarks/ has the JMH suite.");
        return allPassed ? 0 : 1;
    }

    private double medianMillis(Backend b, UnaryOp op, Tensor x, Tensor y) {
        long budget = (long) (seconds * 1e9);
        long warmEnd = System.nanoTime() + budget / 5;
        do {
            op.run(x, y);
            b.synchronize();
        } while (System.nanoTime() < warmEnd);
        List<Long> times = new ArrayList<>();
        long end = System.nanoTime() + budget;
        while (times.size() < 3 || (System.nanoTime() < end && times.size() < 10_000)) {
            long t0 = System.nanoTime();
            op.run(x, y);
            b.synchronize();
            times.add(System.nanoTime() - t0);
        }
        times.sort(null);
        return times.get(times.size() / 2) / 1e6;
    }

    private static float[] abs(float[] v) {
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            a[i] = Math.abs(v[i]);
        }
        return a;
    }
}
