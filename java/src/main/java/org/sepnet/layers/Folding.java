package org.sepnet.layers;

import java.util.List;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;

/**
 * Folds inference batch norm into the layer before it: the one place that decides what folds
 * ({@link #foldBatchNorm}: a batch norm right after a convolution, pattern convolution or pattern
 * residual block in a sequence) and how. With s = γ/√(σ² + ε) and t = β − μ·s per output channel:
 * float weights W' = s·W, bias b' = s·b + t; a binarized convolution keeps its signs and gets
 * α' = s·α (negative when γ is). Products are computed in double and rounded once.
 */
public final class Folding {
    private Folding() {}

    /** {@code model} with every batch norm that follows a convolution, pattern convolution or block folded into it. */
    public static Layer foldBatchNorm(Layer model) {
        return new Rewriter() {
            @Override
            void append(List<Layer> sequence, Layer rewritten) {
                int last = sequence.size() - 1;
                Layer folded = rewritten instanceof BatchNorm bn && last >= 0 ? into(sequence.get(last), bn) : null;
                if (folded != null) {
                    sequence.set(last, folded);
                } else {
                    sequence.add(rewritten);
                }
            }

            @Override
            public Layer conv(Conv2d c) {
                return c;
            }

            @Override
            public Layer patternConv(PatternConv2d p) {
                return p;
            }

            @Override
            public Layer block(PatternResidualBlock b) {
                return b;
            }

            @Override
            public Layer batchNorm(BatchNorm bn) {
                return bn;
            }

            @Override
            public Layer linear(Linear f) {
                return f;
            }
        }.apply(model);
    }

    /** {@code l} with {@code bn} folded into it, or {@code null} when it cannot take a batch norm. */
    static Layer into(Layer l, BatchNorm bn) {
        BatchNormParams p = bn.params();
        return l.accept(new Layer.Visitor<Layer>() {
            @Override
            public Layer conv(Conv2d c) {
                return c.withWeights(fold(c.weights(), p));
            }

            @Override
            public Layer patternConv(PatternConv2d pc) {
                return new PatternConv2d(pc.name(), pc.spec(), fold(pc.weights(), null, p));
            }

            @Override
            public Layer block(PatternResidualBlock b) {
                return fold(b, p);
            }

            @Override
            public Layer sequential(Sequential s) {
                return null;
            }

            @Override
            public Layer residual(Residual r) {
                return null;
            }

            @Override
            public Layer concat(Concat c) {
                return null;
            }

            @Override
            public Layer batchNorm(BatchNorm b) {
                return null;
            }

            @Override
            public Layer relu(Relu r) {
                return null;
            }

            @Override
            public Layer pool(Pool2d pool) {
                return null;
            }

            @Override
            public Layer linear(Linear f) {
                return null;
            }

            @Override
            public Layer softmax(Softmax s) {
                return null;
            }
        });
    }

    /** Float weights with BN folded in. */
    public static ConvWeights fold(ConvWeights w, BatchNormParams bn) {
        requireChannels(w.outChannels(), bn);
        double[] s = bn.scale();
        double[] t = bn.shift();
        int n = w.filterSize();
        float[] v = w.weights();
        float[] b = w.bias();
        float[] bias = new float[w.outChannels()];
        for (int o = 0; o < w.outChannels(); o++) {
            for (int i = 0; i < n; i++) {
                v[o * n + i] = (float) (s[o] * v[o * n + i]);
            }
            bias[o] = (float) (s[o] * (b == null ? 0 : b[o]) + t[o]);
        }
        return new ConvWeights(w.outChannels(), w.inChannelsPerGroup(), w.kh(), w.kw(), v, bias);
    }

    /** Pattern weights with BN folded into α and the bias; {@code extraBias} (may be null) is added first. */
    public static PatternWeights fold(PatternWeights p, float[] extraBias, BatchNormParams bn) {
        requireChannels(p.outChannels(), bn);
        double[] s = bn.scale();
        double[] t = bn.shift();
        float[] a = p.alpha();
        float[] b = p.bias();
        float[] bias = new float[p.outChannels()];
        for (int o = 0; o < a.length; o++) {
            double b0 = (b == null ? 0 : b[o]) + (extraBias == null ? 0 : (double) extraBias[o]);
            a[o] = (float) (s[o] * a[o]);
            bias[o] = (float) (s[o] * b0 + t[o]);
        }
        return new PatternWeights(p.outChannels(), p.inChannelsPerGroup(), p.kh(), p.kw(), p.bits(), a, bias);
    }

    /** Float weights scaled by s per output channel, without bias (a PRB's 1×1 branch). */
    public static ConvWeights scale(ConvWeights w, BatchNormParams bn) {
        requireChannels(w.outChannels(), bn);
        double[] s = bn.scale();
        int n = w.filterSize();
        float[] v = w.weights();
        for (int o = 0; o < w.outChannels(); o++) {
            for (int i = 0; i < n; i++) {
                v[o * n + i] = (float) (s[o] * v[o * n + i]);
            }
        }
        return new ConvWeights(w.outChannels(), w.inChannelsPerGroup(), w.kh(), w.kw(), v, null);
    }

    /** A pattern residual block with BN folded in: both branches scaled, both biases merged into one. */
    public static PatternResidualBlock fold(PatternResidualBlock b, BatchNormParams bn) {
        ConvWeights pw = b.pointwise();
        float[] pwBias = pw.bias();
        if (b.isBinarized()) {
            return b.withWeights(fold(b.pattern(), pwBias, bn), null, scale(pw, bn));
        }
        ConvWeights k = b.floatKernel();
        float[] kb = k.bias();
        float[] merged = new float[k.outChannels()];
        for (int o = 0; o < merged.length; o++) {
            merged[o] = (kb == null ? 0 : kb[o]) + (pwBias == null ? 0 : pwBias[o]);
        }
        return b.withWeights(null, fold(k.withBias(merged), bn), scale(pw, bn));
    }

    private static void requireChannels(int out, BatchNormParams bn) {
        if (bn.channels() != out) {
            throw new IllegalArgumentException("batch norm of " + bn.channels() + " channels cannot fold into a layer of "
                    + out + " outputs");
        }
    }
}
