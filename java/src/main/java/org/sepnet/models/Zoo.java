package org.sepnet.models;

import java.util.List;
import java.util.function.LongFunction;
import org.sepnet.layers.Transforms;

/**
 * The model zoo: every network by name, built with seeded random weights.
 *
 * <ul>
 *   <li>{@code sepnet-small}, {@code sepnet-large}: SEP-Net-R (raw float); binarize for SEP-Net-B,
 *       then quantize for SEP-Net-BQ</li>
 *   <li>{@code sepnet-cifar}: the same blocks for small images (CIFAR-10, Fashion-MNIST)</li>
 *   <li>{@code resnet20}, {@code resnet32}, {@code resnet44}, {@code resnet56}: CIFAR-10</li>
 *   <li>{@code googlenet}, {@code mobilenet-0.5}, {@code mobilenet-0.75}, {@code mobilenet-1.0},
 *       {@code squeezenet}: ImageNet</li>
 * </ul>
 */
public final class Zoo {
    private record Entry(String name, LongFunction<Model> builder) {}

    private static final List<Entry> ENTRIES = List.of(
            new Entry("sepnet-small", s -> SepNet.build(SepNet.SMALL, s)),
            new Entry("sepnet-large", s -> SepNet.build(SepNet.LARGE, s)),
            new Entry("sepnet-cifar", s -> SepNet.build(SepNet.CIFAR, s)),
            new Entry("resnet20", s -> CifarResNet.build(20, s)),
            new Entry("resnet32", s -> CifarResNet.build(32, s)),
            new Entry("resnet44", s -> CifarResNet.build(44, s)),
            new Entry("resnet56", s -> CifarResNet.build(56, s)),
            new Entry("googlenet", GoogLeNet::build),
            new Entry("mobilenet-0.5", s -> MobileNet.build(0.5, s)),
            new Entry("mobilenet-0.75", s -> MobileNet.build(0.75, s)),
            new Entry("mobilenet-1.0", s -> MobileNet.build(1.0, s)),
            new Entry("squeezenet", SqueezeNet::build));

    private Zoo() {}

    /**
     * The binarization the SEP-Nets authors used for {@code name}, as far as their numbers tell: the
     * CIFAR ResNets keep the first convolution and the 3×3 stride-2 projection shortcuts float;
     * GoogLeNet keeps its first two convolutions and the first inception module float (this is what
     * reproduces their 4.43M / 6.43M / 3.87M counts); every other network keeps its first
     * convolution.
     */
    public static Transforms.BinarizeOptions authorsBinarization(String name) {
        Transforms.BinarizeOptions o = Transforms.BinarizeOptions.authors();
        if (name.startsWith("googlenet")) {
            return o.keeping("conv2", "inception3a");
        }
        return o;
    }

    /** Every model name. */
    public static List<String> names() {
        return ENTRIES.stream().map(Entry::name).toList();
    }

    /**
     * The model {@code name} for images of feature shape {@code input} ([C, H, W]) and
     * {@code classes} classes. The CIFAR ResNets and {@code sepnet-cifar} take any channel count,
     * size and class count; the other networks only their own (as {@link #build(String, long)} gives them).
     *
     * @throws IllegalArgumentException for an unknown name or an input the model cannot take
     */
    public static Model build(String name, long seed, org.sepnet.tensor.Shape input, int classes) {
        if (input.rank() != 3 || classes < 1) {
            throw new IllegalArgumentException("input " + input + " and " + classes + " classes; expected [C, H, W] and at least 1 class");
        }
        if (name.matches("resnet\\d+")) {
            Model m = CifarResNet.build(Integer.parseInt(name.substring(6)), seed, input.dim(0), classes);
            m.graph().outputShape(input);  // too small an image: the layer that cannot take it says so
            return m.withInput(input);
        }
        if (name.equals("sepnet-cifar")) {
            Model m = SepNet.build(SepNet.CIFAR, seed, input.dim(0), classes);
            m.graph().outputShape(input);
            return m.withInput(input);
        }
        Model m = build(name, seed);
        long own = m.graph().outputShape(m.input()).size();
        if (!m.input().equals(input) || own != classes) {
            throw new IllegalArgumentException("model " + name + " takes " + m.input() + " images and " + own + " classes only; got "
                    + input + " and " + classes);
        }
        return m;
    }

    /**
     * The model {@code name} with weights from {@code seed}.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static Model build(String name, long seed) {
        for (Entry e : ENTRIES) {
            if (e.name().equals(name)) {
                return e.builder().apply(seed);
            }
        }
        throw new IllegalArgumentException("unknown model '" + name + "'; expected one of " + String.join(", ", names()));
    }
}
