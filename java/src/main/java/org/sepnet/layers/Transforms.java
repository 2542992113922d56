package org.sepnet.layers;

import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.sepnet.pattern.Alpha;
import org.sepnet.pattern.Binarizer;

/**
 * Whole-network transforms: pattern binarization (the SEP-Nets method) and 8-bit quantization of
 * the remaining float weights (the BQ variant); batch-norm folding is {@link Folding#foldBatchNorm}.
 * Each returns a new graph.
 */
public final class Transforms {
    private Transforms() {}

    /**
     * Which k×k convolutions {@link #binarize} binarizes.
     *
     * @param alpha per-filter or global α
     * @param keepFirst keep the network's first k×k convolution float (the authors did)
     * @param keepShortcuts keep convolutions in residual shortcuts float (the authors kept the
     *                      3×3 stride-2 projections of the CIFAR ResNets)
     * @param keep layers kept float by name: a layer named {@code p} or {@code p.…} for each p
     * @param kernelSizes only kernels of these heights (e.g. {3} for "3×3 binarized"); empty: all k &gt; 1
     */
    public record BinarizeOptions(Alpha alpha, boolean keepFirst, boolean keepShortcuts, Set<String> keep,
                                  Set<Integer> kernelSizes) {
        public BinarizeOptions {
            keep = Set.copyOf(keep);
            kernelSizes = Set.copyOf(kernelSizes);
        }

        /** Per-filter α, first conv and shortcuts kept float: the authors' CIFAR ResNet setting. */
        public static BinarizeOptions authors() {
            return new BinarizeOptions(Alpha.perFilter(), true, true, Set.of(), Set.of());
        }

        /** Every k×k convolution binarized, per-filter α. */
        public static BinarizeOptions all() {
            return new BinarizeOptions(Alpha.perFilter(), false, false, Set.of(), Set.of());
        }

        /** These options with more layers kept float. */
        public BinarizeOptions keeping(String... names) {
            Set<String> k = new java.util.HashSet<>(keep);
            k.addAll(List.of(names));
            return new BinarizeOptions(alpha, keepFirst, keepShortcuts, k, kernelSizes);
        }

        /** These options binarizing only kernels of the given heights. */
        public BinarizeOptions onlyKernels(Integer... sizes) {
            return new BinarizeOptions(alpha, keepFirst, keepShortcuts, keep, Set.of(sizes));
        }

        /** These options with another α. */
        public BinarizeOptions withAlpha(Alpha a) {
            return new BinarizeOptions(a, keepFirst, keepShortcuts, keep, kernelSizes);
        }

        boolean kept(String name) {
            for (String p : keep) {
                if (name.equals(p) || name.startsWith(p + ".")) {
                    return true;
                }
            }
            return false;
        }

        boolean sizeSelected(int kh) {
            return kernelSizes.isEmpty() || kernelSizes.contains(kh);
        }
    }

    /**
     * Binarizes every k×k convolution (k &gt; 1) into a pattern convolution, and the k×k branch of
     * every raw pattern residual block; 1×1 convolutions and fully connected layers stay float.
     */
    public static Layer binarize(Layer model, BinarizeOptions options) {
        return new Binarize(options).apply(model);
    }

    /**
     * The leaves of {@code model} that {@link #binarize} would binarize with every option off: k×k
     * (k &gt; 1) float convolutions and pattern residual blocks whose k×k branch is float.
     */
    public static List<Layer> floatKernels(Layer model) {
        LeafVisitor<Boolean> isFloatKernel = new LeafVisitor<>() {
            @Override
            public Boolean conv(Conv2d c) {
                return c.spec().kh() > 1 || c.spec().kw() > 1;
            }

            @Override
            public Boolean patternConv(PatternConv2d p) {
                return false;
            }

            @Override
            public Boolean block(PatternResidualBlock b) {
                return !b.isBinarized();
            }

            @Override
            public Boolean batchNorm(BatchNorm bn) {
                return false;
            }

            @Override
            public Boolean relu(Relu r) {
                return false;
            }

            @Override
            public Boolean pool(Pool2d p) {
                return false;
            }

            @Override
            public Boolean linear(Linear f) {
                return false;
            }

            @Override
            public Boolean softmax(Softmax s) {
                return false;
            }
        };
        return model.leaves().stream().filter(l -> l.accept(isFloatKernel)).toList();
    }

    /**
     * The BQ variant: batch norm folded ({@link Folding#foldBatchNorm}), then every remaining float
     * convolution, 1×1 branch and fully connected layer stored as symmetric per-output-channel int8
     * (see {@link org.sepnet.tensor.Int8Weights}); sign bits, α and biases stay as they are.
     */
    public static Layer quantize8(Layer model) {
        return new Rewriter() {
            @Override
            public Layer conv(Conv2d c) {
                return c.int8() == null ? c.quantized() : c;
            }

            @Override
            public Layer patternConv(PatternConv2d p) {
                return p;
            }

            @Override
            public Layer block(PatternResidualBlock b) {
                return b.pointwiseInt8() == null ? b.quantized() : b;
            }

            @Override
            public Layer batchNorm(BatchNorm bn) {
                return bn;  // one that could not be folded stays float
            }

            @Override
            public Layer linear(Linear f) {
                return f.int8() == null ? f.quantized() : f;
            }
        }.apply(Folding.foldBatchNorm(model));
    }

    /** Applies {@code op} to every leaf, rebuilding containers. */
    public static Layer map(Layer model, UnaryOperator<Layer> op) {
        return new Rewriter() {
            @Override
            public Layer conv(Conv2d c) {
                return op.apply(c);
            }

            @Override
            public Layer patternConv(PatternConv2d p) {
                return op.apply(p);
            }

            @Override
            public Layer block(PatternResidualBlock b) {
                return op.apply(b);
            }

            @Override
            public Layer batchNorm(BatchNorm bn) {
                return op.apply(bn);
            }

            @Override
            public Layer relu(Relu r) {
                return op.apply(r);
            }

            @Override
            public Layer pool(Pool2d p) {
                return op.apply(p);
            }

            @Override
            public Layer linear(Linear f) {
                return op.apply(f);
            }

            @Override
            public Layer softmax(Softmax s) {
                return op.apply(s);
            }
        }.apply(model);
    }

    /** The rewrite of {@link #binarize}: depth first, so "the first k×k convolution" is the first one met. */
    private static final class Binarize extends Rewriter {
        private final BinarizeOptions options;
        private boolean firstSeen;

        Binarize(BinarizeOptions options) {
            this.options = options;
        }

        @Override
        public Layer conv(Conv2d c) {
            if (c.spec().kh() == 1 && c.spec().kw() == 1) {
                return c;
            }
            boolean first = !firstSeen;
            firstSeen = true;
            if ((first && options.keepFirst()) || (inShortcut() && options.keepShortcuts()) || options.kept(c.name())
                    || !options.sizeSelected(c.spec().kh())) {
                return c;
            }
            return new PatternConv2d(c.name(), c.spec(), Binarizer.binarize(c.weights(), options.alpha()));
        }

        @Override
        public Layer patternConv(PatternConv2d p) {
            firstSeen = true;
            return p;
        }

        @Override
        public Layer block(PatternResidualBlock b) {
            firstSeen = true;
            if (!b.isBinarized() && !options.kept(b.name()) && options.sizeSelected(b.spec().kh())) {
                return b.withPattern(Binarizer.binarize(b.floatKernel(), options.alpha()));
            }
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
    }
}
