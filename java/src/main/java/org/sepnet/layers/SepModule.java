package org.sepnet.layers;

import java.util.List;

/**
 * The SEP-Net module: 1×1 convolution (dimension reduction) → two pattern residual blocks with
 * different output channels → 1×1 convolution (dimension recovery), each followed by batch norm
 * (and ReLU except the last), plus a skip connection from the module input, then ReLU.
 */
public final class SepModule extends Residual {
    private SepModule(String name, Layer body) {
        super(name, body, null, true);
    }

    /**
     * @param reduce the 1×1 reduction with its BN and ReLU
     * @param first the first pattern residual block with its BN and ReLU
     * @param second the second one
     * @param recover the 1×1 recovery with its BN (the ReLU comes after the skip sum)
     */
    public static SepModule of(String name, Layer reduce, Layer first, Layer second, Layer recover) {
        return new SepModule(name, new Sequential(name + ".body", List.of(reduce, first, second, recover)));
    }

    @Override
    public Residual with(Layer newBody, Layer newShortcut) {
        if (newShortcut != null) {
            throw new IllegalArgumentException("a SEP module's skip is the identity; got shortcut " + newShortcut);
        }
        return new SepModule(name(), newBody);
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.sepModule(this);
    }

    @Override
    public String type() {
        return "sep_module";
    }
}
