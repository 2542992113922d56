package org.sepnet.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShapeTest {
    @Test
    void nchwAccessorsAndSize() {
        Shape s = Shape.nchw(2, 3, 5, 7);
        assertEquals(2, s.n());
        assertEquals(3, s.c());
        assertEquals(5, s.h());
        assertEquals(7, s.w());
        assertEquals(210, s.size());
        assertEquals("[2, 3, 5, 7]", s.toString());
        assertEquals(Shape.of(2, 3, 5, 7), s);
        assertNotEquals(Shape.of(2, 3, 7, 5), s);
        assertEquals(Shape.of(1, 3, 5, 7), s.withDim0(1));
        assertEquals(Shape.of(4, 3, 5, 7), Shape.of(3, 5, 7).withBatch(4));
    }

    @Test
    void rejectsNonPositiveDimensionsNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 0, 4));
        assertTrue(e.getMessage().contains("dimension 1 is 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Shape.of(-1));
        e = assertThrows(IllegalArgumentException.class, () -> Shape.of());
        assertTrue(e.getMessage().contains("rank 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Shape.of(1, 1, 1, 1, 1, 1, 1, 1, 1));
    }

    @Test
    void nchwAccessorsNeedRankFour() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 3).c());
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("rank-4"), e.getMessage());
    }

    @Test
    void overflowingSizeIsRejected() {
        assertThrows(ArithmeticException.class, () -> Shape.of(1 << 30, 1 << 30, 1 << 30));
    }
}
