package org.sepnet.bench;

import java.util.SplittableRandom;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.backend.cpu.PatternAlgorithm;
import org.sepnet.bench.peers.OnnxRuntimeModel;
import org.sepnet.models.Model;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;

/**
 * What a CPU benchmark trial holds, whichever runtime it measures: the input filled with seeded
 * values, the output, and the runtime's resources (a native backend with its own pool, or an ONNX
 * Runtime session on the same tensors), all on every core. {@link OpBenchmark} and
 * {@link NetworkBenchmark} set one up per trial and close it in their tear-down.
 *
 * <p>Runtimes: {@code native}, or {@code native:ALGORITHM@ISA} with either part optional (a forced
 * pattern algorithm, see {@link PatternAlgorithm}, and an instruction set: {@code native:xor},
 * {@code native@avx2}, {@code native:lookup@generic}); {@code onnxruntime}; {@code pytorch} (through
 * DJL); {@code reference}.
 */
final class Trial implements AutoCloseable {
    final int threads = Runtime.getRuntime().availableProcessors();
    final HostTensor x;
    final HostTensor y;
    final float[] input;
    NativeBackend nativeBackend;
    OnnxRuntimeModel ort;
    org.sepnet.bench.peers.PyTorchModel torch;

    /** Input of shape {@code in}, uniform in [-1, 1) from {@code seed}; output of shape {@code out}. */
    Trial(Shape in, Shape out, long seed) {
        x = HostTensor.allocate(in);
        y = HostTensor.allocate(out);
        input = new float[x.size()];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) (r.nextDouble() * 2 - 1);
        }
        x.copyFrom(input);
    }

    /** Whether {@code runtime} names the native backend. */
    static boolean isNative(String runtime) {
        return runtime.equals("native") || runtime.startsWith("native:") || runtime.startsWith("native@");
    }

    /** A native backend configured as {@code runtime} says, owned by this trial. */
    NativeBackend nativeBackend(String runtime) {
        String spec = runtime.substring("native".length());
        int at = spec.indexOf('@');
        String isa = at < 0 ? "auto" : spec.substring(at + 1);
        String algorithm = (at < 0 ? spec : spec.substring(0, at)).replaceFirst("^:", "");
        nativeBackend = NativeBackend.create(threads, isa, algorithm.isEmpty() ? PatternAlgorithm.AUTO : PatternAlgorithm.parse(algorithm));
        return nativeBackend;
    }

    /** An ONNX Runtime session running {@code m} from x into y, owned by this trial. */
    OnnxRuntimeModel onnxRuntime(Model m) throws Exception {
        ort = new OnnxRuntimeModel(m, threads, x, y);
        return ort;
    }

    /** PyTorch (through DJL) running {@code m} from x into y at the trial's batch, owned by this trial. */
    org.sepnet.bench.peers.PyTorchModel pyTorch(Model m) {
        org.sepnet.bench.peers.PyTorchTrainer.threads(threads);
        torch = new org.sepnet.bench.peers.PyTorchModel(m.graph(), m.input(), x.shape().dim(0), x, y);
        return torch;
    }

    @Override
    public void close() throws Exception {
        if (ort != null) {
            ort.close();
        }
        if (torch != null) {
            torch.close();
        }
        if (nativeBackend != null) {
            nativeBackend.close();
        }
        x.close();
        y.close();
    }
}
