package org.sepnet.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sepnet.io.OnnxTest.Graph;

/**
 * ONNX files made to mislead: every one is refused with a {@link CorruptModelException} that names
 * the model, the node or initializer, and what was expected (before: wrong networks or
 * IndexOutOfBoundsException stack traces).
 */
class OnnxHostileTest {
    private static void refused(byte[] onnx, String expected) {
        CorruptModelException e = assertThrows(CorruptModelException.class, () -> OnnxImporter.read(onnx, "toy", null));
        assertTrue(e.getMessage().startsWith("toy: ") && e.getMessage().contains(expected), e.getMessage());
    }

    /** dims [2^32 + 4, 3, 3, 3] over 108 values imported as 4 outputs (the dim truncated to int). */
    @Test
    void sixtyFourBitDimsAreChecked() {
        Graph g = new Graph(new SplittableRandom(1), 1, 3, 8, 8);
        g.g.message(5, new ProtoWriter().int64(1, (1L << 32) + 4).int64(1, 3).int64(1, 3).int64(1, 3).int64(2, 1).string(8, "w")
                .bytes(9, ProtoWriter.floats(new float[108])));
        refused(g.model(g.node("Conv", "c", List.of("x", "w"), Graph.ints("kernel_shape", 3, 3)), ""),
                "initializer w has dims [4294967300, 3, 3, 3]; expected dimensions from 0 to 2147483647");
    }

    @Test
    void malformedNodesAreNamed() {
        Graph one = new Graph(new SplittableRandom(2), 1, 3, 8, 8);
        refused(one.model(one.node("Conv", "c", List.of("x"), Graph.ints("kernel_shape", 3, 3)), ""),
                "node c_node (Conv) has 1 inputs; expected 2 to 3");
        Graph s = new Graph(new SplittableRandom(3), 1, 3, 8, 8);
        refused(s.model(s.node("Conv", "c", List.of("x", s.weight("w", 4, 3, 3, 3)), Graph.ints("strides", 2)), ""),
                "node c_node (Conv): strides [2] has 1 value(s); expected 2");
        Graph d = new Graph(new SplittableRandom(4), 1, 3, 8, 8);
        refused(d.model(d.node("Conv", "c", List.of("x", d.weight("w", 4, 3, 3, 3)), Graph.ints("dilations", 1)), ""),
                "dilations [1] has 1 value(s); expected 2");
        Graph e = new Graph(new SplittableRandom(5), 1, 3, 8, 8);
        refused(e.model(e.node("Conv", "c", List.of("x", e.weight("w", 4, 3, 3, 3)), Graph.ints("group")), ""),
                "node c_node (Conv): attribute group is empty; expected 1 value(s)");
        Graph p = new Graph(new SplittableRandom(6), 1, 3, 8, 8);
        refused(p.model(p.node("MaxPool", "p", List.of("x")), ""), "node p_node (MaxPool) has no kernel_shape");
        Graph b = new Graph(new SplittableRandom(7), 1, 3, 8, 8);
        refused(b.model(b.node("BatchNormalization", "bn", List.of("x", b.weight("s", 3))), ""),
                "node bn_node (BatchNormalization) has 2 inputs; expected 5");
    }

    /** A Gemm whose dims promise more weights than the initializer holds. */
    @Test
    void dimsBeyondTheDataAreRefused() {
        Graph g = new Graph(new SplittableRandom(8), 1, 3, 2, 2);
        String flat = g.node("Flatten", "f", List.of("x"));
        g.g.message(5, new ProtoWriter().int64(1, 100).int64(1, 12).int64(2, 1).string(8, "wg")
                .bytes(9, ProtoWriter.floats(new float[60])));
        refused(g.model(g.node("Gemm", "gemm", List.of(flat, "wg"), Graph.one("transB", 1)), ""),
                "initializer wg has dims [100, 12] but holds 60 values");
    }
}
