package org.sepnet.bench;

import java.util.List;
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
import org.sepnet.backend.Backend;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.bench.peers.OnnxRuntimeModel;
import org.sepnet.layers.PatternResidualBlock;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Sequential;
import org.sepnet.models.Model;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.Binarizer;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;

/**
 * The CPU per-op suite: pattern convolution, float convolution (1×1, group, depthwise) and the
 * fused pattern residual block, each + bias + ReLU, on the shapes of {@code benchmarks/shapes/}
 * (pass them with {@code -p problem=…}; {@code benchmarks/run.sh} does). Implementations, all on
 * every core: {@code native} (ours), {@code onnxruntime} (the baseline: float32 Conv, and for a
 * block Conv + Conv + Add, in a model exported by the library, holding the α·B values of the
 * binarized weights so that every implementation computes the same function) and {@code reference}
 * (the Java twin; small problems only); a native pattern algorithm or instruction set is chosen with
 * {@code native:xor}, {@code native@avx2} and the like ({@link Trial}). Each trial first checks its
 * output for the first image against the reference.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
// Five measured seconds: on a shared virtual machine a single slow second in three moves a mean by
// a third.
@Measurement(iterations = 5, time = 1)
public class OpBenchmark {
    /** Largest problem the reference is run on, in multiply-accumulates. */
    static final long REFERENCE_MAX_MACS = 50_000_000L;

    /** {@code op:problem}; see {@link Case}. */
    @Param({"pattern:n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1",
            "conv:n1_g1_ic64oc128_ih56iw56_kh1kw1_sh1sw1_ph0pw0",
            "conv:n1_g128_ic128oc128_ih56iw56_kh3kw3_sh1sw1_ph1pw1",
            "prb:n1_g4_ic32oc16_ih28iw28_kh3kw3_sh1sw1_ph1pw1_prb_pwg4"})
    public String problem;

    /**
     * native (or native:ALGORITHM@ISA, see {@link Trial}), onnxruntime (baseline) or reference. JMH orders
     * the runs by parameter name, then by value:
     * a name after {@code problem} puts each problem's runtimes one after the other, so that the
     * machine's slow and fast spells fall on both sides of a ratio alike. (As {@code impl} it sorted
     * first: every problem on native, then every problem on ONNX Runtime about 20 minutes later.)
     */
    @Param({"native", "onnxruntime"})
    public String runtime;

    private Trial trial;
    private UnaryOp op;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Case c = Case.parse(problem);
        ConvDesc d = c.conv();
        ConvWeights w = ConvWeights.random(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, 1);
        PatternWeights pw = Binarizer.binarize(w);
        ConvWeights w1 = c.prb() == null ? null
                : ConvWeights.random(d.outChannels(), d.inChannels() / c.prb().pointwise().groups(), 1, 1, false, 2);
        Shape in = c.prb() != null ? c.prb().pattern().inputShape() : d.inputShape();
        trial = new Trial(in, d.outputShape(), 3);
        Backend backend = null;
        if (Trial.isNative(runtime)) {
            backend = trial.nativeBackend(runtime);
        } else if (runtime.equals("reference")) {
            if (c.macs() > REFERENCE_MAX_MACS) {
                throw new IllegalStateException("the reference runs problems up to " + REFERENCE_MAX_MACS + " MACs; " + problem
                        + " has " + c.macs());
            }
            backend = ReferenceBackend.instance();
        } else if (runtime.equals("onnxruntime")) {
            trial.onnxRuntime(switch (c.op()) {
                case "pattern" -> OnnxRuntimeModel.conv(d, pw.toConvWeights(), true);
                case "conv" -> OnnxRuntimeModel.conv(d, w, true);
                default -> new Model("prb", "", new Sequential("prb", List.of(
                        PatternResidualBlock.raw("prb", OnnxRuntimeModel.spec(d), pw.toConvWeights(), c.prb().pointwise().groups(), w1),
                        new Relu("relu"))), Shape.of(d.inChannels(), d.inHeight(), d.inWidth()));
            });
        } else {
            throw new IllegalArgumentException("runtime " + runtime + "; expected native[:ALGORITHM][@ISA], onnxruntime or reference");
        }
        if (backend != null) {
            op = switch (c.op()) {
                case "pattern" -> backend.patternConv2d(d, pw, Activation.RELU);
                case "conv" -> backend.conv2d(d, w, Activation.RELU);
                default -> backend.patternResidualBlock(c.prb(), pw, w1, Activation.RELU);
            };
        }
        run();
        // The guard checks the first image (the reference is slow, and every image runs the same code).
        ReferenceBackend ref = ReferenceBackend.instance();
        long terms = (long) d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth() + 1;
        Shape in1 = in.withDim0(1);
        float[] x1 = java.util.Arrays.copyOf(trial.input, (int) in1.size());
        float[] y1 = java.util.Arrays.copyOf(trial.y.toArray(), trial.y.size() / d.batch());
        String what = runtime + " " + problem;
        switch (c.op()) {
            case "pattern" -> Verify.against(what, y1, in1, x1, ref.patternConv2d(d, pw, Activation.RELU),
                    ref.patternConv2d(d, pw.absolute(), Activation.NONE), terms);
            case "conv" -> Verify.against(what, y1, in1, x1, ref.conv2d(d, w, Activation.RELU),
                    ref.conv2d(d, w.absolute(), Activation.NONE), terms);
            default -> Verify.against(what, y1, in1, x1, ref.patternResidualBlock(c.prb(), pw, w1, Activation.RELU),
                    ref.patternResidualBlock(c.prb(), pw.absolute(), w1.absolute(), Activation.NONE),
                    terms + d.inChannels() / c.prb().pointwise().groups() + 1);
        }
    }

    @Benchmark
    public HostTensor run() throws Exception {
        if (trial.ort != null) {
            trial.ort.run();
        } else {
            op.run(trial.x, trial.y);
        }
        return trial.y;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (op != null) {
            op.close();
        }
        trial.close();
    }
}
