package org.sepnet.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.layers.Summary;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.runtime.Network;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sepnet demo}: SEP-Net-B small (binarized) on random images, on every available backend, at
 * batch 1 and a larger batch; each backend's batch-1 logits are checked against the reference
 * backend; latency and images/s are wall-clock medians in this process (the JMH suite in
 * {@code benchmarks/} is the measurement of record).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run SEP-Net-B small (pattern-binarized SEP-Net, random weights) on every available backend at batch 1 "
                + "and 32, check each against the reference backend, and print latency and images/s; then classify Fashion-MNIST's "
                + "test images with the shipped resnet20-fmnist-bq on every backend (when the dataset-fashion-mnist package is installed).")
final class DemoCommand implements Callable<Integer> {
    /** Largest |logit − reference logit| allowed, relative to the largest |reference logit|. */
    static final double TOLERANCE = 1e-3;

    @Option(names = "--model", defaultValue = "sepnet-small", description = "Zoo model (default: ${DEFAULT-VALUE}).")
    String modelName;

    @Option(names = "--float", description = "Run the model as it is instead of pattern-binarized.")
    boolean raw;

    @Option(names = "--batch", defaultValue = "32", description = "The larger batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seconds", defaultValue = "1", description = "Timing budget per backend and batch, seconds (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the weights and images (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--backend", split = ",", description = "Only these backends (default: every available one).")
    List<String> only;

    @Option(names = "--no-data", description = "Leave out the shipped Fashion-MNIST model on real test images.")
    boolean noData;

    @Override
    public Integer call() {
        Model model;
        Backends.Selection chosen;
        try {
            if (batch < 1 || batch > 1024) {
                throw new IllegalArgumentException("--batch " + batch + "; expected 1 to 1024");
            }
            if (!(seconds > 0) || seconds > 600) {
                throw new IllegalArgumentException("--seconds " + seconds + "; expected a value in (0, 600]");
            }
            if (only != null) {
                for (String name : only) {
                    Backend b = Backends.byName(name);
                    if (!b.availability().available()) {
                        System.err.println("sepnet demo: --backend " + name + ": the " + b.name() + " backend is unavailable: "
                                + b.availability().detail());
                        return 1;
                    }
                }
            }
            model = Zoo.build(modelName, seed);
            chosen = BackendOption.select();
        } catch (IllegalArgumentException e) {
            System.err.println("sepnet demo: " + e.getMessage());
            return 2;
        }
        if (!raw) {
            model = model.with(Transforms.binarize(model.graph(), Zoo.authorsBinarization(modelName)), "+binarized");
        }
        Summary summary = Summary.of(model.graph(), model.input());
        System.out.println(model.name() + ": " + model.description());
        System.out.printf("  %,d parameters (paper's rule), %,d bytes of weights as stored, %,d multiply-accumulates per image%n",
                summary.paperParams(), summary.bytes(), summary.macs());
        System.out.println("  chosen backend: " + chosen.backend().name() + " (" + chosen.reason() + ")");
        System.out.println();

        Shape in = model.input();
        float[] images = new float[(int) (batch * in.size())];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) (r.nextDouble() * 2 - 1);
        }
        float[] reference;
        double referenceMs;
        try (Network net = Network.compile(model.graph(), in, ReferenceBackend.instance(), 1);
             HostTensor x = HostTensor.of(batchShape(in, 1), slice(images, in, 1))) {
            long t0 = System.nanoTime();
            reference = net.forward(x).toArray();
            referenceMs = (System.nanoTime() - t0) / 1e6;
        }
        double scale = 0;
        for (float v : reference) {
            scale = Math.max(scale, Math.abs(v));
        }

        Table table = new Table("backend", "batch 1 ms", "images/s", "batch " + batch + " ms", "images/s", "vs reference",
                "max |logit err|", "check");
        boolean allPassed = true;
        for (Backend b : Backends.all()) {
            if (only != null && !only.contains(b.name())) {
                continue;
            }
            if (!b.availability().available()) {
                table.row(b.name(), "-", "-", "-", "-", "-", "-", "unavailable: " + b.availability().detail());
                continue;
            }
            boolean isReference = b.name().equals(ReferenceBackend.NAME);
            int big = isReference ? 1 : batch; // the reference would take minutes at batch 32
            try (Network net = Network.compile(model.graph(), in, b, big);
                 Tensor x1 = b.allocate(batchShape(in, 1));
                 Tensor xb = b.allocate(batchShape(in, big))) {
                x1.copyFrom(slice(images, in, 1));
                xb.copyFrom(slice(images, in, big));
                float[] got = net.forward(x1).toArray();
                double err = 0;
                for (int i = 0; i < got.length; i++) {
                    err = Math.max(err, Math.abs(got[i] - reference[i]));
                }
                boolean ok = err <= TOLERANCE * scale && Double.isFinite(err);
                allPassed &= ok;
                double ms1 = isReference ? referenceMs : medianMillis(net, x1);
                String bigMs = "-";
                String bigRate = "-";
                if (!isReference) {
                    double msb = medianMillis(net, xb);
                    bigMs = String.format("%.2f", msb);
                    bigRate = String.format("%.0f", big * 1000 / msb);
                }
                table.row(b.name(), String.format("%.2f", ms1), String.format("%.1f", 1000 / ms1), bigMs, bigRate,
                        String.format("%.0fx", referenceMs / ms1), String.format("%.2e", err),
                        ok ? "ok" : "FAILED: error above " + TOLERANCE + " x max |logit| = " + String.format("%.2e", TOLERANCE * scale));
            } catch (RuntimeException e) {
                allPassed = false;
                table.row(b.name(), "-", "-", "-", "-", "-", "-", "FAILED: " + e);
            }
        }
        table.print(System.out);
        System.out.println();
        System.out.printf("check: batch-1 logits within %.0e x the largest reference logit (%.3g) of the reference backend's.%n",
                TOLERANCE, scale);
        System.out.println("Timings: wall-clock medians in this process (" + seconds + " s budget each; the reference ran once); "
                + "benchmarks/ has the JMH suite.");
        if (!noData) {
            System.out.println();
            try {
                allPassed &= FashionDemo.run(only);
            } catch (java.io.IOException e) {
                System.err.println("sepnet demo: " + e.getMessage());
                return 1;
            }
        }
        return allPassed ? 0 : 1;
    }

    private double medianMillis(Network net, Tensor x) {
        long budget = (long) (seconds * 1e9);
        long warmEnd = System.nanoTime() + budget / 5;
        do {
            net.forward(x);
        } while (System.nanoTime() < warmEnd);
        List<Long> times = new ArrayList<>();
        long end = System.nanoTime() + budget;
        while (times.size() < 3 || (System.nanoTime() < end && times.size() < 10_000)) {
            long t0 = System.nanoTime();
            net.forward(x);
            times.add(System.nanoTime() - t0);
        }
        times.sort(null);
        return times.get(times.size() / 2) / 1e6;
    }

    private static Shape batchShape(Shape feature, int n) {
        return Shape.nchw(n, feature.dim(0), feature.dim(1), feature.dim(2));
    }

    private static float[] slice(float[] images, Shape feature, int n) {
        return java.util.Arrays.copyOf(images, (int) (n * feature.size()));
    }
}
