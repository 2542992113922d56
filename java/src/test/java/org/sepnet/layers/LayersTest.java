package org.sepnet.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;

/** Layer validation and counting. */
class LayersTest {
    private static Conv2d conv(String name, int in, int out, int k, int stride) {
        return new Conv2d(name, ConvSpec.same(in, out, k, stride, 1), ConvWeights.random(out, in, k, k, true, 1));
    }

    @Test
    void mismatchedWeightsNameTheLayer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Conv2d("c1", ConvSpec.same(8, 16, 3, 1, 1), ConvWeights.random(16, 8, 5, 5, false, 1)));
        assertTrue(e.getMessage().contains("layer c1") && e.getMessage().contains("[16, 8, 3, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> conv("c2", 4, 8, 3, 1).outputShape(Shape.of(5, 8, 8)));
        assertTrue(e.getMessage().contains("layer c2 expects 4 input channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Linear("fc", ConvWeights.random(10, 64, 1, 1, true, 1))
                .outputShape(Shape.of(63, 1, 1)));
        assertTrue(e.getMessage().contains("layer fc takes 64 features"), e.getMessage());
    }

    @Test
    void convSpecRejectsGroupsBelowOne() {
        // inPerGroup() divides by the group count; a damaged model file once reached it with 0.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.same(8, 16, 3, 1, 0));
        assertTrue(e.getMessage().contains("groups is 0"), e.getMessage());
    }

    @Test
    void containersCheckTheirBranches() {
        Residual r = new Residual("res", conv("body", 8, 16, 3, 2), conv("short", 8, 16, 3, 1), true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.outputShape(Shape.of(8, 8, 8)));
        assertTrue(e.getMessage().contains("residual res") && e.getMessage().contains("[16, 4, 4]")
                && e.getMessage().contains("[16, 8, 8]"), e.getMessage());
        Concat c = new Concat("cat", List.of(conv("a", 4, 3, 3, 1), conv("b", 4, 5, 3, 2)));
        e = assertThrows(IllegalArgumentException.class, () -> c.outputShape(Shape.of(4, 8, 8)));
        assertTrue(e.getMessage().contains("concat cat") && e.getMessage().contains("branch b"), e.getMessage());
        assertEquals(Shape.of(8, 8, 8), new Concat("ok", List.of(conv("a", 4, 3, 3, 1), conv("b", 4, 5, 3, 1))).outputShape(Shape.of(4, 8, 8)));
        assertThrows(IllegalArgumentException.class, () -> new Sequential("empty", List.of()));
    }

    @Test
    void countsFollowThePapersRule() {
        Conv2d c = conv("c", 8, 16, 3, 1);
        assertEquals(16 * 8 * 9, c.paperParams(), "weights without bias");
        assertEquals(16 * 8 * 9 + 16, c.storedParams());
        assertEquals(4L * (16 * 8 * 9 + 16), c.bytes());
        PatternConv2d p = new PatternConv2d("p", c.spec(), org.sepnet.pattern.Binarizer.binarize(c.weights()));
        assertEquals(16 * 8, p.paperParams(), "one per binarized 3x3 slice");
        assertEquals(4L * (16 * 3 + 16 + 16), p.bytes(), "72 signs -> 3 words per filter, alpha, bias");
        assertEquals(2 * 16, BatchNorm.identity("bn", 16).paperParams(), "gamma and beta");
        assertEquals(16L * 8 * 8 * 8 * 9, c.macs(Shape.of(8, 8, 8)));
    }
}
