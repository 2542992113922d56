package org.sepnet.bench;

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
import org.sepnet.backend.cpu.PatternAlgorithm;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.bench.peers.OnnxRuntimeModel;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.Binarizer;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;

/**
 * CPU convolutions on ResNet-20 (CIFAR-10) and SEP-Net-style layer shapes, all cores, + bias + ReLU:
 * native pattern convolution with each algorithm; the float32 convolution of the same shape by
 * ONNX Runtime (the peer) and by our native backend; the Java reference pattern convolution
 * (batch 1 only). Each trial first checks its output against the reference. Derived figure:
 * GFLOP/s-equivalent = 2 × MACs / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class NativeConvBenchmark {
    @Param({"n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1",
            "n1_g1_ic32oc32_ih16iw16_kh3kw3_sh1sw1_ph1pw1",
            "n1_g1_ic64oc64_ih8iw8_kh3kw3_sh1sw1_ph1pw1",
            "n1_g1_ic32oc64_ih16iw16_kh3kw3_sh2sw2_ph1pw1",
            "n32_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1",
            "n32_g1_ic64oc64_ih8iw8_kh3kw3_sh1sw1_ph1pw1",
            "n1_g4_ic128oc128_ih28iw28_kh3kw3_sh1sw1_ph1pw1",
            "n1_g4_ic256oc256_ih14iw14_kh3kw3_sh1sw1_ph1pw1",
            "n1_g4_ic128oc128_ih28iw28_kh5kw5_sh1sw1_ph2pw2"})
    public String problem;

    /**
     * pattern_auto, pattern_gemm, pattern_lookup, pattern_xor (native pattern conv), float (native
     * float conv), onnxruntime (ONNX Runtime float conv), reference (Java pattern conv, batch 1).
     */
    @Param({"pattern_auto", "pattern_gemm", "pattern_lookup", "pattern_xor", "float", "onnxruntime", "reference"})
    public String impl;

    /** Instruction set of the native kernels: auto (the best this CPU runs), avx512, avx2 or generic. */
    @Param({"auto"})
    public String isa;

    private NativeBackend nativeBackend;
    private UnaryOp op;
    private OnnxRuntimeModel ort;
    private HostTensor x;
    private HostTensor y;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        ConvDesc d = ConvDesc.parse(problem);
        ConvWeights w = ConvWeights.random(d.outChannels(), d.inChannelsPerGroup(), d.kernelHeight(), d.kernelWidth(), true, 1);
        PatternWeights pw = Binarizer.binarize(w);
        int threads = Runtime.getRuntime().availableProcessors();
        x = HostTensor.allocate(d.inputShape());
        y = HostTensor.allocate(d.outputShape());
        float[] in = new float[x.size()];
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) (r.nextDouble() * 2 - 1);
        }
        x.copyFrom(in);
        boolean pattern = impl.startsWith("pattern") || impl.equals("reference");
        switch (impl) {
            case "pattern_auto", "pattern_gemm", "pattern_lookup", "pattern_xor" -> {
                nativeBackend = NativeBackend.create(threads, isa, PatternAlgorithm.parse(impl.substring(8)));
                op = nativeBackend.patternConv2d(d, pw, Activation.RELU);
            }
            case "float" -> {
                nativeBackend = NativeBackend.create(threads, isa, PatternAlgorithm.AUTO);
                op = nativeBackend.conv2d(d, w, Activation.RELU);
            }
            case "onnxruntime" -> ort = new OnnxRuntimeModel(OnnxRuntimeModel.conv(d, w, true), threads, x, y);
            case "reference" -> {
                if (d.batch() > 1) {
                    throw new IllegalStateException("the reference is benchmarked at batch 1 only");
                }
                op = ReferenceBackend.instance().patternConv2d(d, pw, Activation.RELU);
            }
            default -> throw new IllegalArgumentException("impl " + impl);
        }
        conv();
        ReferenceBackend ref = ReferenceBackend.instance();
        long terms = (long) d.inChannelsPerGroup() * d.kernelHeight() * d.kernelWidth() + 1;
        if (pattern) {
            Verify.against(impl + " " + problem, y.toArray(), d.inputShape(), in, ref.patternConv2d(d, pw, Activation.RELU),
                    ref.patternConv2d(d, pw.absolute(), Activation.NONE), terms);
        } else {
            Verify.against(impl + " " + problem, y.toArray(), d.inputShape(), in, ref.conv2d(d, w, Activation.RELU),
                    ref.conv2d(d, w.absolute(), Activation.NONE), terms);
        }
    }

    @Benchmark
    public HostTensor conv() throws Exception {
        if (ort != null) {
            ort.run();
        } else {
            op.run(x, y);
        }
        return y;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (op != null) {
            op.close();
        }
        if (ort != null) {
            ort.close();
        }
        if (nativeBackend != null) {
            nativeBackend.close();
        }
        x.close();
        y.close();
    }
}
