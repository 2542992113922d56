package org.sepnet.runtime;

import java.util.List;
import org.sepnet.backend.reference.ReferenceLayerGrad;

/**
 * A node of a {@link TrainingGraph}: a forward pass that keeps what its backward pass needs, and a
 * backward pass that adds its parameters' gradients and returns ∂L/∂input. Arrays are flat
 * [batch, feature…] in double.
 */
abstract class TrainNode {
    /** Training (batch statistics, running statistics updated by {@code momentum}) or inference. */
    record Mode(boolean training, double momentum) {}

    abstract double[] forward(double[] x, int batch, Mode mode);

    abstract double[] backward(double[] dy, int batch);

    /** Bytes of the buffers this node keeps between steps: activations saved for backward, outputs, gradients. */
    long savedBytes() {
        return 0;
    }

    /** {@code buf} when it holds {@code size} values, else a new array: buffers are reused while the batch stays. */
    static double[] reuse(double[] buf, int size) {
        return buf != null && buf.length == size ? buf : new double[size];
    }

    /** {@link #reuse}, zeroed: for gradients, which the kernels add to. */
    static double[] zeroed(double[] buf, int size) {
        double[] b = reuse(buf, size);
        java.util.Arrays.fill(b, 0);
        return b;
    }

    static long bytes(double[]... arrays) {
        long b = 0;
        for (double[] a : arrays) {
            b += a == null ? 0 : 8L * a.length;
        }
        return b;
    }

    /** Layers in order. */
    static final class Chain extends TrainNode {
        private final List<TrainNode> nodes;

        Chain(List<TrainNode> nodes) {
            this.nodes = nodes;
        }

        @Override
        double[] forward(double[] x, int batch, Mode mode) {
            double[] v = x;
            for (TrainNode n : nodes) {
                v = n.forward(v, batch, mode);
            }
            return v;
        }

        @Override
        double[] backward(double[] dy, int batch) {
            double[] g = dy;
            for (int i = nodes.size() - 1; i >= 0; i--) {
                g = nodes.get(i).backward(g, batch);
            }
            return g;
        }

        @Override
        long savedBytes() {
            return nodes.stream().mapToLong(TrainNode::savedBytes).sum();
        }
    }

    /** y = ReLU?(body(x) + shortcut(x)), the shortcut the identity when null. */
    static final class Sum extends TrainNode {
        private final TrainNode body;
        private final TrainNode shortcut;
        private final boolean relu;
        private double[] y;
        private double[] g;
        private double[] dx;

        Sum(TrainNode body, TrainNode shortcut, boolean relu) {
            this.body = body;
            this.shortcut = shortcut;
            this.relu = relu;
        }

        @Override
        double[] forward(double[] x, int batch, Mode mode) {
            double[] a = body.forward(x, batch, mode);
            double[] b = shortcut == null ? x : shortcut.forward(x, batch, mode);
            double[] out = reuse(y, a.length);
            for (int i = 0; i < out.length; i++) {
                out[i] = a[i] + b[i];
            }
            if (relu) {
                ReferenceLayerGrad.relu(out.length, out, out);
            }
            y = out;
            return out;
        }

        @Override
        double[] backward(double[] dy, int batch) {
            double[] grad = dy;
            if (relu) {
                g = zeroed(g, dy.length);
                ReferenceLayerGrad.reluBackward(dy.length, y, dy, g);
                grad = g;
            }
            double[] fromBody = body.backward(grad, batch);
            double[] fromShortcut = shortcut == null ? grad : shortcut.backward(grad, batch);
            dx = reuse(dx, fromBody.length);
            for (int i = 0; i < dx.length; i++) {
                dx[i] = fromBody[i] + fromShortcut[i];
            }
            return dx;
        }

        @Override
        long savedBytes() {
            return bytes(y, g, dx) + body.savedBytes() + (shortcut == null ? 0 : shortcut.savedBytes());
        }
    }

    /** Branches on the same input, concatenated along channels. */
    static final class Concat extends TrainNode {
        private final List<TrainNode> branches;
        private final int[] channels;
        private final int plane;
        private final int inputSize;
        private final double[][] parts;
        private double[] y;
        private double[] dx;

        Concat(List<TrainNode> branches, int[] channels, int plane, int inputSize) {
            this.branches = branches;
            this.channels = channels;
            this.plane = plane;
            this.inputSize = inputSize;
            this.parts = new double[branches.size()][];
        }

        @Override
        double[] forward(double[] x, int batch, Mode mode) {
            int total = java.util.Arrays.stream(channels).sum();
            double[] out = reuse(y, batch * total * plane);
            y = out;
            int offset = 0;
            for (int b = 0; b < branches.size(); b++) {
                double[] part = branches.get(b).forward(x, batch, mode);
                for (int n = 0; n < batch; n++) {
                    System.arraycopy(part, n * channels[b] * plane, out, (n * total + offset) * plane, channels[b] * plane);
                }
                offset += channels[b];
            }
            return out;
        }

        @Override
        double[] backward(double[] dy, int batch) {
            int total = java.util.Arrays.stream(channels).sum();
            dx = zeroed(dx, batch * inputSize);
            int offset = 0;
            for (int b = 0; b < branches.size(); b++) {
                parts[b] = zeroed(parts[b], batch * channels[b] * plane);
                ReferenceLayerGrad.concatBackward(batch, total, plane, offset, channels[b], dy, parts[b]);
                double[] g = branches.get(b).backward(parts[b], batch);
                for (int i = 0; i < dx.length; i++) {
                    dx[i] += g[i];
                }
                offset += channels[b];
            }
            return dx;
        }

        @Override
        long savedBytes() {
            return bytes(y, dx) + bytes(parts) + branches.stream().mapToLong(TrainNode::savedBytes).sum();
        }
    }

    /** ReLU. */
    static final class Relu extends TrainNode {
        private double[] y;
        private double[] dx;

        @Override
        double[] forward(double[] x, int batch, Mode mode) {
            y = reuse(y, x.length);
            ReferenceLayerGrad.relu(x.length, x, y);
            return y;
        }

        @Override
        double[] backward(double[] dy, int batch) {
            dx = zeroed(dx, dy.length);
            ReferenceLayerGrad.reluBackward(dy.length, y, dy, dx);
            return dx;
        }

        @Override
        long savedBytes() {
            return bytes(y, dx);
        }
    }
}
