package org.sepnet.bench.gpu;

import java.util.HashMap;
import java.util.Map;
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
import org.sepnet.backend.TrainOps;
import org.sepnet.backend.cuda.CudaBackend;
import org.sepnet.backend.reference.ReferenceConvGrad;
import org.sepnet.bench.Case;
import org.sepnet.bench.peers.CudnnConvBackward;
import org.sepnet.ops.ConvDesc;
import org.sepnet.runtime.Agreement;
import org.sepnet.tensor.Tensor;

/**
 * A float convolution's backward pass on the GPU (input gradient, then weight gradient, one call
 * synchronized): ours ({@code cuda}: the training kernels of {@code cuda/train.cu} through
 * {@code TrainOps.ConvTrainer}) against cuDNN's {@code cudnnConvolutionBackwardData} +
 * {@code cudnnConvolutionBackwardFilter} with strict FP32 math ({@code cudnn_fp32}, the baseline) or
 * TF32 allowed ({@code cudnn_tf32}), on the convolutions of the ResNet-20 training step
 * ({@code TrainStepBenchmark}: 1×28×28 images, batch 128). The training graph runs the stride-1
 * input gradient on the inference convolution instead (see docs/training.md); this compares the
 * training kernels themselves. Each trial first checks both gradients against the reference twins in
 * double ({@link Agreement#LAYER}; TF32 within 1% of the largest value).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 1)
public class GpuTrainOpBenchmark {
    /** The convolutions of ResNet-20 on 1×28×28 images at batch 128 (conv:problem, as {@link Case} spells it). */
    @Param({"conv:n128_g1_ic1oc16_ih28iw28_kh3kw3_sh1sw1_ph1pw1", "conv:n128_g1_ic16oc16_ih28iw28_kh3kw3_sh1sw1_ph1pw1",
            "conv:n128_g1_ic16oc32_ih28iw28_kh3kw3_sh2sw2_ph1pw1", "conv:n128_g1_ic32oc32_ih14iw14_kh3kw3_sh1sw1_ph1pw1",
            "conv:n128_g1_ic32oc64_ih14iw14_kh3kw3_sh2sw2_ph1pw1", "conv:n128_g1_ic64oc64_ih7iw7_kh3kw3_sh1sw1_ph1pw1"})
    public String problem;

    /** cuda, cudnn_fp32 (baseline) or cudnn_tf32. */
    @Param({"cuda", "cudnn_fp32", "cudnn_tf32"})
    public String runtime;

    /** The reference gradients by problem: computed once per JVM (minutes in double at batch 128). */
    private static final Map<String, double[][]> REFERENCE = new HashMap<>();

    private CudaBackend backend;
    private TrainOps.ConvTrainer trainer;
    private Tensor x;
    private Tensor dy;
    private Tensor dx;
    private float[] weights;
    private float[] dw;
    private CudnnConvBackward cudnn;
    private int batch;

    @Setup(Level.Trial)
    public void setUp() {
        ConvDesc d = Case.parse(problem).conv();
        batch = d.batch();
        SplittableRandom r = new SplittableRandom(5);
        float[] input = random((long) d.batch() * d.inChannels() * d.inHeight() * d.inWidth(), r);
        float[] outputGradient = random((long) d.batch() * d.outChannels() * d.outHeight() * d.outWidth(), r);
        weights = random((long) d.outChannels() * d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth(), r);
        float[] gotDx;
        float[] gotDw;
        if (runtime.equals("cuda")) {
            backend = CudaBackend.instance();
            if (!backend.availability().available()) {
                throw new IllegalStateException("the CUDA backend is unavailable: " + backend.availability().detail());
            }
            trainer = backend.trainOps().conv(d);
            x = backend.allocate(d.inputShape());
            dy = backend.allocate(d.outputShape());
            dx = backend.allocate(d.inputShape());
            dw = new float[weights.length];
            x.copyFrom(input);
            dy.copyFrom(outputGradient);
            run();
            gotDx = dx.toArray();
            gotDw = dw.clone();
        } else if (runtime.equals("cudnn_fp32") || runtime.equals("cudnn_tf32")) {
            cudnn = new CudnnConvBackward(d, runtime.equals("cudnn_tf32"));
            cudnn.set(input, outputGradient, weights);
            run();
            gotDx = cudnn.inputGradient();
            gotDw = cudnn.weightGradient();
            System.out.println("cuDNN " + CudnnConvBackward.class.getSimpleName() + " " + runtime + " " + problem + ": "
                    + cudnn.algorithms());
        } else {
            throw new IllegalArgumentException("runtime " + runtime + "; expected cuda, cudnn_fp32 or cudnn_tf32");
        }
        double[][] ref = REFERENCE.computeIfAbsent(problem, p -> reference(d, input, outputGradient, weights));
        check("input gradient", gotDx, ref[0]);
        check("weight gradient", gotDw, ref[1]);
    }

    private static float[] random(long n, SplittableRandom r) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static double[] doubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static double[][] reference(ConvDesc d, float[] input, float[] outputGradient, float[] weights) {
        double[] x = doubles(input);
        double[] g = doubles(outputGradient);
        double[] dx = new double[x.length];
        double[] dw = new double[weights.length];
        ReferenceConvGrad.conv2dBackwardInput(d, d.batch(), g, doubles(weights), dx);
        ReferenceConvGrad.conv2dBackwardWeights(d, d.batch(), x, g, dw, null);
        return new double[][] {dx, dw};
    }

    private void check(String what, float[] got, double[] expected) {
        double e;
        double bound;
        if (runtime.equals("cudnn_tf32")) {
            double max = 0;
            double worst = 0;
            for (int i = 0; i < expected.length; i++) {
                max = Math.max(max, Math.abs(expected[i]));
            }
            for (int i = 0; i < expected.length; i++) {
                double diff = Math.abs(got[i] - expected[i]);
                worst = Math.max(worst, Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff / max);
            }
            e = worst;
            bound = 1e-2;
        } else {
            e = Agreement.LAYER.error(doubles(got), expected, null);
            bound = Agreement.LAYER.relative();
        }
        System.out.printf("%s %s %s: off by %.3g of its largest value (bound %.3g)%n", runtime, problem, what, e, bound);
        if (!(e <= bound)) {
            throw new IllegalStateException(runtime + " " + problem + ": the " + what + " is off by " + e + " of its largest value; bound "
                    + bound);
        }
    }

    @Benchmark
    public Object run() {
        if (cudnn != null) {
            cudnn.run();
            cudnn.synchronize();
            return cudnn;
        }
        trainer.backwardData(dy, weights, dx, batch);
        trainer.backwardWeights(x, dy, dw, null, batch);
        backend.synchronize();
        return dw;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (trainer != null) {
            trainer.close();
            x.close();
            dy.close();
            dx.close();
        }
        if (cudnn != null) {
            cudnn.close();
        }
    }
}
