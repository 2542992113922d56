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
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.Binarizer;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Tensor;

/**
 * Pattern convolution on ResNet-20 layer shapes (CIFAR-10, batch 1), per backend. The reference
 * row is the baseline the others are divided by. Shapes: the three 3×3 stage shapes and the two
 * stride-2 down-sampling convolutions.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class PatternConvBenchmark {
    @Param({"n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1",
            "n1_g1_ic16oc32_ih32iw32_kh3kw3_sh2sw2_ph1pw1",
            "n1_g1_ic32oc32_ih16iw16_kh3kw3_sh1sw1_ph1pw1",
            "n1_g1_ic32oc64_ih16iw16_kh3kw3_sh2sw2_ph1pw1",
            "n1_g1_ic64oc64_ih8iw8_kh3kw3_sh1sw1_ph1pw1"})
    public String problem;

    @Param({"native", "reference"})
    public String backend;

    private Backend b;
    private UnaryOp op;
    private Tensor x;
    private Tensor y;

    @Setup(Level.Trial)
    public void setUp() {
        ConvDesc d = ConvDesc.parse(problem);
        b = Backends.byName(backend);
        if (!b.availability().available()) {
            throw new IllegalStateException(backend + " is unavailable: " + b.availability().detail());
        }
        PatternWeights w = Binarizer.binarize(ConvWeights.random(d.outChannels(), d.inChannelsPerGroup(),
                d.kernelHeight(), d.kernelWidth(), true, 1));
        op = b.patternConv2d(d, w, Activation.RELU);
        x = b.allocate(d.inputShape());
        y = b.allocate(d.outputShape());
        float[] in = new float[(int) d.inputShape().size()];
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) (r.nextDouble() * 2 - 1);
        }
        x.copyFrom(in);
    }

    @Benchmark
    public Tensor patternConv() {
        op.run(x, y);
        b.synchronize();
        return y;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        op.close();
        x.close();
        y.close();
    }
}
