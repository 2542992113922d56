package org.sepnet.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** The counter behind every close: release once, after the last user, and by the collector for leaks. */
class LifetimeTest {
    @Test
    void releasesOnceAfterTheLastUser() {
        AtomicInteger released = new AtomicInteger();
        Object owner = new Object();
        Lifetime l = new Lifetime(owner, "test", 0, released::incrementAndGet);
        assertTrue(l.enter());
        assertTrue(l.enter());
        l.close();
        assertTrue(l.isClosed());
        assertFalse(l.enter(), "closed: no new users");
        assertTrue(l.hold(), "held on behalf of existing users until released");
        l.exit();
        l.exit();
        assertEquals(0, released.get(), "a user is still inside");
        l.exit();
        assertEquals(1, released.get());
        l.close();
        assertFalse(l.hold());
        assertEquals(1, released.get(), "idempotent");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.enterOrThrow("widget [2]"));
        assertEquals("widget [2] is closed", e.getMessage());
    }

    @Test
    void closeWithoutUsersReleasesAtOnce() {
        AtomicInteger released = new AtomicInteger();
        Lifetime l = new Lifetime(new Object(), "test", 1000, released::incrementAndGet);
        l.close();
        assertEquals(1, released.get());
    }

    @Test
    void leaksAreReleasedByTheCollectorAndLoggedOncePerKind() throws Exception {
        Logger log = Logger.getLogger("org.sepnet");
        Level level = log.getLevel();
        List<String> lines = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                synchronized (lines) {
                    lines.add(r.getMessage());
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(h);
        log.setLevel(Level.ALL);
        String kind = "test widget " + System.nanoTime();
        AtomicInteger released = new AtomicInteger();
        try {
            for (int i = 0; i < 3; i++) {
                new Lifetime(new Object(), kind, 0, released::incrementAndGet);
            }
            for (int i = 0; i < 100 && released.get() < 3; i++) {
                System.gc();
                Thread.sleep(10);
            }
            assertEquals(3, released.get(), "the collector released every leaked lifetime");
            synchronized (lines) {
                assertEquals(1, lines.stream().filter(l -> l.startsWith(kind + " was not closed")).count(), lines.toString());
            }
        } finally {
            log.removeHandler(h);
            log.setLevel(level);
        }
    }
}
