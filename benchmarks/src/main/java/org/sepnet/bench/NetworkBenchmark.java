package org.sepnet.bench;

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
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.runtime.Network;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;

/**
 * Whole networks on the CPU, one forward pass of a batch: {@code native} runs our network (SEP-Net-B
 * small binarized with the authors' setting; SEP-Net-R small and ResNet-20 as they are);
 * {@code onnxruntime}, the baseline, runs the float network exported by the library (for SEP-Net-B
 * small: SEP-Net-R small, the same graph with float k×k weights); {@code pytorch} runs that float
 * network built from DJL blocks on PyTorch 2.7.1 (CPU). Same thread count. Before timing,
 * the first image's output is checked against the reference backend running the same network
 * (within 1e-3 of the largest output).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class NetworkBenchmark {
    /** sepnet-b-small, sepnet-r-small or resnet20. */
    @Param({"sepnet-b-small", "sepnet-r-small", "resnet20"})
    public String model;

    @Param({"1", "32"})
    public int batch;

    /** native, onnxruntime (baseline) or pytorch; named to sort after batch and model (see OpBenchmark.runtime). */
    @Param({"native", "onnxruntime", "pytorch"})
    public String runtime;

    private Trial trial;
    private Network net;

    /** The network {@code name} as we run it, and as the float baseline. */
    public static Model[] models(String name) {
        return switch (name) {
            case "sepnet-b-small", "sepnet-r-small" -> {
                Model r = Zoo.build("sepnet-small", 1);
                Model b = r.with(Transforms.binarize(r.graph(), Zoo.authorsBinarization("sepnet-small")), "+binarized");
                yield new Model[] {name.equals("sepnet-b-small") ? b : r, r};
            }
            case "resnet20" -> {
                Model m = Zoo.build("resnet20", 1);
                yield new Model[] {m, m};
            }
            default -> throw new IllegalArgumentException("model " + name + "; expected sepnet-b-small, sepnet-r-small or resnet20");
        };
    }

    public static Shape batched(Shape feature, int n) {
        return feature.withBatch(n);
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Model[] m = models(model);
        Model run = runtime.equals("onnxruntime") || runtime.equals("pytorch") ? m[1] : m[0];
        trial = new Trial(batched(run.input(), batch), batched(run.graph().outputShape(run.input()), batch), 4);
        if (Trial.isNative(runtime)) {
            net = Network.compile(run.graph(), run.input(), trial.nativeBackend(runtime), batch);
        } else if (runtime.equals("onnxruntime")) {
            trial.onnxRuntime(run);
        } else if (runtime.equals("pytorch")) {
            trial.pyTorch(run);
        } else {
            throw new IllegalArgumentException("runtime " + runtime + "; expected native[:ALGORITHM][@ISA], onnxruntime or pytorch");
        }
        forward();
        checkFirstImage(runtime + " " + model, run, trial.input, trial.y.toArray());
    }

    /**
     * Throws unless the first image's output {@code got} (the first values of a batch's output) is
     * within 1e-3 of the largest output of the reference backend running {@code run} on the first
     * image of {@code input}.
     */
    public static void checkFirstImage(String what, Model run, float[] input, float[] got) {
        checkFirstImage(what, run, input, got, 1e-3);
    }

    /** {@link #checkFirstImage(String, Model, float[], float[])} within {@code relative} of the largest output. */
    public static void checkFirstImage(String what, Model run, float[] input, float[] got, double relative) {
        Shape out = run.graph().outputShape(run.input());
        int per = (int) out.size();
        try (Network ref = Network.compile(run.graph(), run.input(), ReferenceBackend.instance(), 1);
             HostTensor x1 = HostTensor.of(batched(run.input(), 1), java.util.Arrays.copyOf(input, (int) run.input().size()));
             HostTensor y1 = HostTensor.allocate(batched(out, 1))) {
            ref.forward(x1, y1);
            float[] expected = y1.toArray();
            double scale = 0;
            double err = 0;
            for (int i = 0; i < per; i++) {
                scale = Math.max(scale, Math.abs(expected[i]));
                err = Math.max(err, Math.abs(expected[i] - got[i]));
            }
            if (!(err <= relative * scale) || scale == 0) {
                throw new IllegalStateException(what + ": first image's output differs from the reference by " + err
                        + " (largest output " + scale + ")");
            }
        }
    }

    @Benchmark
    public HostTensor forward() throws Exception {
        if (trial.ort != null) {
            trial.ort.run();
        } else if (trial.torch != null) {
            trial.torch.run();
        } else {
            net.forward(trial.x, trial.y);
        }
        return trial.y;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (net != null) {
            net.close();
        }
        trial.close();
    }
}
