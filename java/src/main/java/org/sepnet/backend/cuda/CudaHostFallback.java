package org.sepnet.backend.cuda;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConcatOp;
import org.sepnet.ops.UnaryOp;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * Runs an op that has no CUDA kernel yet on the reference backend: device inputs are copied to host
 * staging tensors, the reference op runs, the result is copied back. Correct but slow; the op's
 * implementation name says {@code cuda-fallback:reference}. Staging tensors are kept between runs
 * and reallocated only when the shape changes.
 */
final class CudaHostFallback {
    private CudaHostFallback() {}

    static UnaryOp unary(CudaBackend backend, UnaryOp host) {
        return new UnaryOp() {
            private HostTensor in;
            private HostTensor out;

            @Override
            public String problem() {
                return host.problem();
            }

            @Override
            public String implementation() {
                return "cuda-fallback:" + host.implementation();
            }

            @Override
            public Shape outputShape(Shape input) {
                return host.outputShape(input);
            }

            @Override
            public void run(Tensor input, Tensor output) {
                CudaTensor di = backend.requireDevice(input, "input");
                CudaTensor dout = backend.requireDevice(output, "output");
                in = stage(in, di.shape());
                out = stage(out, dout.shape());
                di.copyTo(in);
                host.run(in, out);
                dout.copyFrom(out);
            }

            @Override
            public void close() {
                host.close();
                closeAll(in, out);
            }
        };
    }

    static BinaryOp binary(CudaBackend backend, BinaryOp host) {
        return new BinaryOp() {
            private HostTensor a;
            private HostTensor b;
            private HostTensor out;

            @Override
            public String problem() {
                return host.problem();
            }

            @Override
            public String implementation() {
                return "cuda-fallback:" + host.implementation();
            }

            @Override
            public void run(Tensor x, Tensor y, Tensor output) {
                CudaTensor dx = backend.requireDevice(x, "first input");
                CudaTensor dy = backend.requireDevice(y, "second input");
                CudaTensor dout = backend.requireDevice(output, "output");
                a = stage(a, dx.shape());
                b = stage(b, dy.shape());
                out = stage(out, dout.shape());
                dx.copyTo(a);
                dy.copyTo(b);
                host.run(a, b, out);
                dout.copyFrom(out);
            }

            @Override
            public void close() {
                host.close();
                closeAll(a, b, out);
            }
        };
    }

    static ConcatOp concat(CudaBackend backend, ConcatOp host) {
        return new ConcatOp() {
            private final List<HostTensor> ins = new ArrayList<>();
            private HostTensor out;

            @Override
            public String problem() {
                return host.problem();
            }

            @Override
            public String implementation() {
                return "cuda-fallback:" + host.implementation();
            }

            @Override
            public void run(List<? extends Tensor> inputs, Tensor output) {
                CudaTensor dout = backend.requireDevice(output, "output");
                while (ins.size() < inputs.size()) {
                    ins.add(null);
                }
                for (int i = 0; i < inputs.size(); i++) {
                    CudaTensor d = backend.requireDevice(inputs.get(i), "input " + i);
                    ins.set(i, stage(ins.get(i), d.shape()));
                    d.copyTo(ins.get(i));
                }
                out = stage(out, dout.shape());
                host.run(ins.subList(0, inputs.size()), out);
                dout.copyFrom(out);
            }

            @Override
            public void close() {
                host.close();
                ins.forEach(CudaHostFallback::closeAll);
                closeAll(out);
            }
        };
    }

    private static HostTensor stage(HostTensor current, Shape shape) {
        if (current != null && current.shape().equals(shape)) {
            return current;
        }
        if (current != null) {
            current.close();
        }
        return HostTensor.allocate(shape);
    }

    private static void closeAll(HostTensor... tensors) {
        for (HostTensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }
}
