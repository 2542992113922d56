package org.sepnet.bench.gpu;

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
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.backend.cpu.PatternAlgorithm;
import org.sepnet.backend.cuda.CudaBackend;
import org.sepnet.bench.NetworkBenchmark;
import org.sepnet.bench.peers.CudnnBackend;
import org.sepnet.models.Model;
import org.sepnet.runtime.Network;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * Whole networks on the GPU machine, one forward pass of a batch, synchronized inside the benchmark
 * method: {@code cuda} (ours on the GPU) against {@code cudnn_fp32} (the baseline: the same network,
 * every layer on cuDNN in strict FP32, {@link CudnnBackend}), {@code cudnn_tf32} (cuDNN's default
 * math) and {@code native} (ours on every CPU core of the same machine). SEP-Net-B small (binarized
 * as the authors did), SEP-Net-R small and ResNet-20. Before timing, the first image's output is
 * checked against the reference backend (within 1e-3 of the largest output; 3e-2 for TF32).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class GpuNetworkBenchmark {
    /** sepnet-b-small, sepnet-r-small or resnet20. */
    @Param({"sepnet-b-small", "sepnet-r-small", "resnet20"})
    public String model;

    @Param({"1", "32"})
    public int batch;

    /** cuda, cudnn_fp32 (baseline), cudnn_tf32 or native. */
    @Param({"cuda", "cudnn_fp32", "cudnn_tf32", "native"})
    public String runtime;

    private Backend backend;
    private NativeBackend nativeBackend;
    private CudnnBackend cudnn;
    private Network net;
    private Tensor x;

    @Setup(Level.Trial)
    public void setUp() {
        Model run = NetworkBenchmark.models(model)[0];
        switch (runtime) {
            case "cuda" -> {
                CudaBackend cuda = CudaBackend.instance();
                if (!cuda.availability().available()) {
                    throw new IllegalStateException("the CUDA backend is unavailable: " + cuda.availability().detail());
                }
                backend = cuda;
            }
            case "cudnn_fp32", "cudnn_tf32" -> {
                cudnn = new CudnnBackend(runtime.equals("cudnn_tf32"));
                backend = cudnn;
            }
            case "native" -> {
                nativeBackend = NativeBackend.create(Runtime.getRuntime().availableProcessors(), "auto", PatternAlgorithm.AUTO);
                backend = nativeBackend;
            }
            default -> throw new IllegalArgumentException("runtime " + runtime + "; expected cuda, cudnn_fp32, cudnn_tf32 or native");
        }
        net = Network.compile(run.graph(), run.input(), backend, batch);
        Shape in = NetworkBenchmark.batched(run.input(), batch);
        float[] input = new float[(int) in.size()];
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) (r.nextDouble() * 2 - 1);
        }
        x = backend.allocate(in);
        x.copyFrom(input);
        // TF32 rounds every convolution's operands to 10 mantissa bits (2^-11 relative each); over a
        // network's 20-odd layers that is allowed 3e-2 of the largest output, strict FP32 1e-3.
        NetworkBenchmark.checkFirstImage(runtime + " " + model, run, input, forward().toArray(), runtime.equals("cudnn_tf32") ? 3e-2 : 1e-3);
    }

    @Benchmark
    public Tensor forward() {
        Tensor y = net.forward(x);
        backend.synchronize();
        return y;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        net.close();
        x.close();
        if (nativeBackend != null) {
            nativeBackend.close();
        }
        if (cudnn != null) {
            cudnn.close();
        }
    }
}
