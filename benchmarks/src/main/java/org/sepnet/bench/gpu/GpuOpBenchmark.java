package org.sepnet.bench.gpu;

import java.util.Arrays;
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
import org.sepnet.backend.cuda.CudaBackend;
import org.sepnet.bench.Case;
import org.sepnet.bench.peers.CudnnConv;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.Binarizer;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * The GPU per-op suite: pattern convolution, float convolution (1×1, group, depthwise) and the fused
 * pattern residual block, each + bias + ReLU, on the shapes of {@code benchmarks/shapes/}.
 * Implementations: {@code cuda} (ours), {@code cudnn_fp32} (the baseline: cuDNN with strict FP32
 * math, the fastest algorithm {@code cudnnFindConvolutionForwardAlgorithm} reports) and
 * {@code cudnn_tf32} (cuDNN's default math, TF32 tensor cores allowed). cuDNN computes the same
 * function: the α·B values of the binarized weights as float filters; for a block, the k×k
 * convolution, then the 1×1 convolution + the k×k result + bias + ReLU. Every call synchronizes
 * with the device inside the benchmark method. Each trial first checks the first image's output
 * against the reference (strict FP32 within the rigorous float bound; TF32 within 2⁻⁹ of the absolute sum).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class GpuOpBenchmark {
    /** {@code op:problem}; see {@link Case}. */
    @Param({"pattern:n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1",
            "conv:n1_g128_ic128oc128_ih56iw56_kh3kw3_sh1sw1_ph1pw1"})
    public String problem;

    /** cuda, cudnn_fp32 (baseline) or cudnn_tf32. */
    @Param({"cuda", "cudnn_fp32", "cudnn_tf32"})
    public String runtime;

    private UnaryOp op;
    private Tensor x;
    private Tensor y;
    private CudnnConv cudnn;
    private CudaBackend backend;

    @Setup(Level.Trial)
    public void setUp() {
        Case c = Case.parse(problem);
        ConvDesc d = c.conv();
        ConvWeights w = ConvWeights.random(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, 1);
        PatternWeights pw = Binarizer.binarize(w);
        ConvWeights w1 = c.prb() == null ? null
                : ConvWeights.random(d.outChannels(), d.inChannels() / c.prb().pointwise().groups(), 1, 1, false, 2);
        Shape in = d.inputShape();
        float[] input = new float[(int) in.size()];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) (r.nextDouble() * 2 - 1);
        }
        float[] got;
        switch (runtime) {
            case "cuda" -> {
                backend = CudaBackend.instance();
                if (!backend.availability().available()) {
                    throw new IllegalStateException("the CUDA backend is unavailable: " + backend.availability().detail());
                }
                op = switch (c.op()) {
                    case "pattern" -> backend.patternConv2d(d, pw, Activation.RELU);
                    case "conv" -> backend.conv2d(d, w, Activation.RELU);
                    default -> backend.patternResidualBlock(c.prb(), pw, w1, Activation.RELU);
                };
                x = backend.allocate(in);
                y = backend.allocate(d.outputShape());
                x.copyFrom(input);
                run();
                got = y.toArray();
            }
            case "cudnn_fp32", "cudnn_tf32" -> {
                boolean tf32 = runtime.equals("cudnn_tf32");
                float[] weights = c.op().equals("conv") ? w.weights() : pw.toConvWeights().weights();
                float[] bias = c.prb() != null ? sum(pw.bias(), w1.bias()) : c.op().equals("conv") ? w.bias() : pw.bias();
                cudnn = new CudnnConv(d, weights, c.prb() == null ? null : c.prb().pointwise(), w1 == null ? null : w1.weights(),
                        bias, tf32);
                cudnn.setInput(input);
                run();
                got = cudnn.output();
                System.out.println("cuDNN " + CudnnConv.version() + " " + runtime + " " + problem + ": " + cudnn.algorithms());
            }
            default -> throw new IllegalArgumentException("runtime " + runtime + "; expected cuda, cudnn_fp32 or cudnn_tf32");
        }
        GpuVerify.check(runtime + " " + problem, c, w, pw, w1, in, input, got, runtime.equals("cudnn_tf32"));
    }

    private static float[] sum(float[] a, float[] b) {
        if (a == null) {
            return b;
        }
        float[] s = Arrays.copyOf(a, a.length);
        if (b != null) {
            for (int i = 0; i < s.length; i++) {
                s[i] += b[i];
            }
        }
        return s;
    }

    @Benchmark
    public Object run() {
        if (cudnn != null) {
            cudnn.run();
            cudnn.synchronize();
            return cudnn;
        }
        op.run(x, y);
        backend.synchronize();
        return y;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (op != null) {
            op.close();
            x.close();
            y.close();
        }
        if (cudnn != null) {
            cudnn.close();
        }
    }
}
