package org.sepnet.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.bench.peers.PyTorchTrainer;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.runtime.Parameter;
import org.sepnet.runtime.TrainingGraph;
import org.sepnet.tensor.Shape;

/**
 * One SGD step (forward in training mode, softmax cross-entropy, backward, momentum update) of a
 * batch of random images: ResNet-20 on 1×28×28 images with 10 classes, float ({@code resnet20}) and
 * binarized with the authors' setting and its signs frozen ({@code resnet20-refine}); SEP-Net-B small
 * (3×224×224, 1000 classes) refining ({@code sepnet-b-small}). The report's runs: batch 128 for
 * ResNet-20, 16 for SEP-Net-B small ({@code benchmarks/train.sh}).
 * {@code native}, {@code reference} and {@code cuda} run our training graph; {@code pytorch}, the peer, runs the
 * same network built from DJL blocks with the same values on PyTorch 2.7.1 (CPU, same thread
 * count), always in float: it has no frozen-sign layer, so its float step is the baseline for ours.
 * Neither computes the images' gradient. Before timing, PyTorch's first loss must match our
 * native graph's within 1e-3 (the same network).
 * Each trial appends its graph's buffer bytes and the process's resident-memory growth to
 * {@code benchmarks/results/raw/train-memory.tsv}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 5)
public class TrainStepBenchmark {
    private static final float LEARNING_RATE = 0.01f;
    private static final double MOMENTUM = 0.9;

    @Param({"resnet20", "resnet20-refine", "sepnet-b-small"})
    public String model;

    @Param({"128"})
    public int batch;

    /** native, reference, cuda or pytorch (the peer); named to sort after batch and model (see OpBenchmark.runtime). */
    @Param({"native", "pytorch"})
    public String runtime;

    private TrainingGraph graph;
    private PyTorchTrainer torch;
    private double[] x;
    private int[] labels;
    private double[][] velocity;
    private long rssBefore;

    /** The network as we train it and its input. */
    record Setting(Layer layer, Shape input) {}

    static Setting setting(String name) {
        return switch (name) {
            case "resnet20" -> new Setting(Zoo.build("resnet20", 1, Shape.of(1, 28, 28), 10).graph(), Shape.of(1, 28, 28));
            case "resnet20-refine" -> {
                Layer f = Zoo.build("resnet20", 1, Shape.of(1, 28, 28), 10).graph();
                yield new Setting(Transforms.binarize(f, Zoo.authorsBinarization("resnet20")), Shape.of(1, 28, 28));
            }
            case "sepnet-b-small" -> {
                Model r = Zoo.build("sepnet-small", 1);
                yield new Setting(Transforms.binarize(r.graph(), Zoo.authorsBinarization("sepnet-small")), r.input());
            }
            default -> throw new IllegalArgumentException("model " + name + "; expected resnet20, resnet20-refine or sepnet-b-small");
        };
    }

    @Setup(Level.Trial)
    public void setUp() {
        Setting s = setting(model);
        SplittableRandom r = new SplittableRandom(7);
        x = new double[(int) (batch * s.input().size())];
        float[] xf = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xf[i] = (float) (r.nextDouble() * 2 - 1);
            x[i] = xf[i];
        }
        int classes = (int) s.layer().outputShape(s.input()).size();
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = r.nextInt(classes);
        }
        int threads = NativeBackend.instance().threads();
        rssBefore = rss();
        switch (runtime) {
            case "native" -> graph = TrainingGraph.build(s.layer(), s.input(), NativeBackend.instance(), batch);
            case "reference" -> graph = TrainingGraph.build(s.layer(), s.input(), ReferenceBackend.instance(), batch);
            case "cuda" -> graph = TrainingGraph.build(s.layer(), s.input(), org.sepnet.backend.cuda.CudaBackend.instance(), batch);
            case "pytorch" -> {
                PyTorchTrainer.threads(threads);
                torch = new PyTorchTrainer(s.layer(), s.input(), batch, xf, labels, LEARNING_RATE);
                double theirs = torch.step();
                try (TrainingGraph ours = TrainingGraph.build(s.layer(), s.input(), NativeBackend.instance(), batch)) {
                    double loss = ours.step(x, labels, batch);
                    if (!(Math.abs(theirs - loss) <= 1e-3 * Math.max(1, Math.abs(loss)))) {
                        throw new IllegalStateException(model + ": PyTorch's first loss " + theirs + " differs from ours, " + loss
                                + ": not the same network");
                    }
                }
            }
            default -> throw new IllegalArgumentException("runtime " + runtime + "; expected native, reference, cuda or pytorch");
        }
        if (graph != null) {
            graph.setInputGradient(false);  // as PyTorch, whose input does not require a gradient
            velocity = new double[graph.parameters().size()][];
        }
    }

    @Benchmark
    public double step() {
        if (torch != null) {
            return torch.step();
        }
        double loss = graph.step(x, labels, batch);
        for (int k = 0; k < velocity.length; k++) {
            Parameter p = graph.parameters().get(k);
            if (!p.trainable()) {
                continue;
            }
            double[] v = velocity[k] == null ? velocity[k] = new double[p.value().length] : velocity[k];
            double[] w = p.value();
            double[] g = p.grad();
            for (int i = 0; i < w.length; i++) {
                v[i] = MOMENTUM * v[i] + g[i];
                w[i] -= LEARNING_RATE * v[i];
            }
        }
        return loss;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        long grown = rss() - rssBefore;
        String line = String.join("\t", model, runtime, Integer.toString(batch), graph == null ? "" : Long.toString(graph.memoryBytes()),
                Long.toString(grown)) + "\n";
        Path out = Path.of(System.getProperty("sepnet.bench.memory", "benchmarks/results/raw/train-memory.tsv"));
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (graph != null) {
            graph.close();
        }
        if (torch != null) {
            torch.close();
        }
    }

    /** Resident bytes of this process now (VmRSS; 0 where /proc is absent). */
    static long rss() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
