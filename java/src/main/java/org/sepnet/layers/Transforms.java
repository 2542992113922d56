package org.sepnet.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.sepnet.pattern.Alpha;
import org.sepnet.pattern.Binarizer;

/**
 * Whole-network transforms: pattern binarization (the SEP-Nets method), batch-norm folding, and
 * 8-bit quantization of the remaining float weights (the BQ variant). Each returns a new graph.
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
        boolean[] firstSeen = {false};
        return rewrite(model, false, false, (l, inShortcut) -> {
            if (l instanceof Conv2d c && (c.spec().kh() > 1 || c.spec().kw() > 1)) {
                boolean first = !firstSeen[0];
                firstSeen[0] = true;
                if ((first && options.keepFirst()) || (inShortcut && options.keepShortcuts()) || options.kept(c.name())
                        || !options.sizeSelected(c.spec().kh())) {
                    return c;
                }
                return new PatternConv2d(c.name(), c.spec(), Binarizer.binarize(c.weights(), options.alpha()));
            }
            if (l instanceof PatternConv2d) {
                firstSeen[0] = true;
            }
            if (l instanceof PatternResidualBlock b) {
                firstSeen[0] = true;
                if (!b.isBinarized() && !options.kept(b.name()) && options.sizeSelected(b.spec().kh())) {
                    return b.withPattern(Binarizer.binarize(b.floatKernel(), options.alpha()));
                }
            }
            return l;
        });
    }

    /** Folds every batch norm that follows a convolution, pattern convolution or block into it. */
    public static Layer foldBatchNorm(Layer model) {
        return rewrite(model, false, true, (l, s) -> l);
    }

    /**
     * The BQ variant: batch norm folded, then every remaining float convolution, 1×1 branch and fully
     * connected layer stored as symmetric per-output-channel int8 (see
     * {@link org.sepnet.tensor.Int8Weights}); sign bits, α and biases stay as they are.
     */
    public static Layer quantize8(Layer model) {
        return rewrite(foldBatchNorm(model), false, false, (l, s) -> {
            if (l instanceof Conv2d c && c.int8() == null) {
                return c.quantized();
            }
            if (l instanceof PatternResidualBlock b && b.pointwiseInt8() == null) {
                return b.quantized();
            }
            if (l instanceof Linear f && f.int8() == null) {
                return f.quantized();
            }
            return l;
        });
    }

    /** A leaf rewrite that knows whether the leaf sits in a residual shortcut. */
    @FunctionalInterface
    interface LeafRewrite {
        Layer apply(Layer leaf, boolean inShortcut);
    }

    /** Rebuilds the graph depth-first, applying {@code f} to leaves; with {@code foldBn}, folds batch norms too. */
    private static Layer rewrite(Layer l, boolean inShortcut, boolean foldBn, LeafRewrite f) {
        if (l instanceof Sequential s) {
            List<Layer> out = new ArrayList<>();
            for (Layer child : s.layers()) {
                Layer r = rewrite(child, inShortcut, foldBn, f);
                Layer prev = out.isEmpty() ? null : out.get(out.size() - 1);
                if (foldBn && r instanceof BatchNorm bn && prev != null
                        && (prev instanceof Conv2d || prev instanceof PatternConv2d || prev instanceof PatternResidualBlock)) {
                    out.set(out.size() - 1, Network.fold(prev, bn));
                } else {
                    out.add(r);
                }
            }
            return new Sequential(s.name(), out);
        }
        if (l instanceof Residual r) {
            Layer body = rewrite(r.body(), inShortcut, foldBn, f);
            Layer shortcut = r.shortcut() == null ? null : rewrite(r.shortcut(), true, foldBn, f);
            return r.with(body, shortcut);
        }
        if (l instanceof Concat c) {
            List<Layer> out = new ArrayList<>();
            for (Layer b : c.branches()) {
                out.add(rewrite(b, inShortcut, foldBn, f));
            }
            return new Concat(c.name(), out);
        }
        return f.apply(l, inShortcut);
    }

    /** Applies {@code op} to every leaf, rebuilding containers. */
    public static Layer map(Layer model, UnaryOperator<Layer> op) {
        return rewrite(model, false, false, (l, s) -> op.apply(l));
    }
}
