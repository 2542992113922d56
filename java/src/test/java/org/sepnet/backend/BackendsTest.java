package org.sepnet.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.sepnet.backend.cuda.CudaBackend;
import org.sepnet.backend.reference.ReferenceBackend;

class BackendsTest {
    @Test
    void rankOrderIsCudaNativeReference() {
        assertEquals(List.of("cuda", "native", "reference"), Backends.names());
        List<Backend> all = Backends.all();
        for (int i = 0; i < all.size(); i++) {
            assertEquals(Backends.names().get(i), all.get(i).name());
        }
    }

    @Test
    void everyBackendExplainsItself() {
        for (Backend b : Backends.all()) {
            Availability a = b.availability();
            assertTrue(a.detail() != null && !a.detail().isBlank(), b.name() + " gives no detail");
            assertTrue(a.detail().length() < 400, b.name() + " detail is not one readable line: " + a.detail());
        }
        assertTrue(ReferenceBackend.instance().availability().available());
    }

    @Test
    void automaticChoiceIsTheFirstAvailable() {
        Backends.Selection s = Backends.decide(null);
        assertEquals(Backends.available().get(0), s.backend());
        assertTrue(s.reason().startsWith("best available"), s.reason());
        for (Backend b : Backends.all()) {
            if (b == s.backend()) {
                break;
            }
            assertTrue(s.reason().contains(b.name() + " unavailable: " + b.availability().detail()), s.reason());
        }
    }

    @Test
    void forcingByName() {
        Backends.Selection s = Backends.decide("reference");
        assertEquals(ReferenceBackend.NAME, s.backend().name());
        assertTrue(s.reason().contains("forced by -Dsepnet.backend=reference"), s.reason());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.decide("tpu"));
        assertTrue(e.getMessage().contains("'tpu'") && e.getMessage().contains("cuda, native, reference"), e.getMessage());
    }

    @Test
    void forcingAnUnavailableBackendSaysWhy() {
        CudaBackend cuda = CudaBackend.instance();
        Assumptions.assumeFalse(cuda.availability().available(), "a GPU is present here");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.decide("cuda"));
        assertTrue(e.getMessage().contains(cuda.availability().detail()), e.getMessage());
        IllegalStateException alloc = assertThrows(IllegalStateException.class,
                () -> cuda.allocate(org.sepnet.tensor.Shape.of(1)));
        assertTrue(alloc.getMessage().contains("unavailable"), alloc.getMessage());
    }
}
