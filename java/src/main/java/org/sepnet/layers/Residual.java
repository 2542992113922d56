package org.sepnet.layers;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.tensor.Shape;

/**
 * {@code y = act(body(x) + shortcut(x))}: a residual connection; the shortcut is the identity when
 * {@code null} (a projection such as the CIFAR ResNets' 3×3 stride-2 convolution + BN otherwise).
 */
public sealed class Residual extends Layer permits SepModule {
    private final Layer body;
    private final Layer shortcut;
    private final boolean relu;

    public Residual(String name, Layer body, Layer shortcut, boolean relu) {
        super(name);
        this.body = body;
        this.shortcut = shortcut;
        this.relu = relu;
    }

    public Layer body() {
        return body;
    }

    /** The shortcut, or {@code null} for the identity. */
    public Layer shortcut() {
        return shortcut;
    }

    /** Whether a ReLU follows the sum. */
    public boolean relu() {
        return relu;
    }

    /** A residual with the same name, kind and activation around other layers. */
    public Residual with(Layer newBody, Layer newShortcut) {
        return new Residual(name(), newBody, newShortcut, relu);
    }

    @Override
    public List<Layer> children() {
        List<Layer> c = new ArrayList<>();
        c.add(body);
        if (shortcut != null) {
            c.add(shortcut);
        }
        return c;
    }

    @Override
    public <R> R accept(Visitor<R> v) {
        return v.residual(this);
    }

    @Override
    public String type() {
        return "residual";
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape a = body.outputShape(input);
        Shape b = shortcut == null ? input : shortcut.outputShape(input);
        if (!a.equals(b)) {
            throw new IllegalArgumentException("residual " + name() + ": the body gives " + a + " but the shortcut gives " + b
                    + "; expected equal shapes");
        }
        return a;
    }
}
