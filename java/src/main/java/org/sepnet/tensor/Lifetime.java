package org.sepnet.tensor;

import java.lang.ref.Cleaner;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When something that holds native or device memory (a tensor, an op, a backend's context) may be
 * freed: after it is closed <em>and</em> every call using it has returned. Users {@link #enter()}
 * before touching the memory and {@link #exit()} after; {@link #close()} refuses new users and runs
 * the release at once when none is inside, else when the last one exits. So closing something
 * another thread is running never frees memory under it: that call finishes, later calls fail with
 * {@link IllegalStateException}. The same counter keeps a backend's context alive while ops built
 * on it {@link #retain() retain} it.
 *
 * <p>A lifetime is registered with a {@link Cleaner}: if its owner becomes unreachable unclosed,
 * the release still runs, and the first such leak of each kind is logged at DEBUG (logger
 * {@code org.sepnet}). The memory a lifetime guards counts towards a process-wide total; when the
 * memory of unreachable, unclosed owners could pile up (the garbage collector does not see native
 * memory), a new allocation asks for a collection first, as the JDK does for direct buffers.
 */
public final class Lifetime {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final System.Logger LOG = System.getLogger("org.sepnet");
    private static final Set<String> LEAKS_LOGGED = ConcurrentHashMap.newKeySet();
    private static final AtomicLong HELD_BYTES = new AtomicLong();
    /** Held bytes above which a new allocation first asks for a collection. */
    private static final AtomicLong COLLECT_ABOVE = new AtomicLong(256L << 20);

    private static final int CLOSED = 1;
    private static final int RELEASED = -1;

    /** 2 × users + 1 once closed; {@link #RELEASED} after the release ran. */
    private final AtomicInteger state = new AtomicInteger();
    private final Release release;
    private final Cleaner.Cleanable cleanable;

    /**
     * A lifetime for {@code owner}: {@code release} frees what it guards (it must not refer to
     * {@code owner}, or the owner never becomes unreachable), {@code bytes} is its size for the
     * process-wide total, {@code kind} names it in the leak log ("op", "host tensor", ...).
     */
    public Lifetime(Object owner, String kind, long bytes, Runnable release) {
        reserve(bytes);
        this.release = new Release(state, kind, bytes, release);
        this.cleanable = CLEANER.register(owner, this.release);
    }

    /**
     * Starts a use; false once closed. Every {@code true} must be paired with one {@link #exit()}.
     */
    public boolean enter() {
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0 || s == RELEASED) {
                return false;
            }
            if (state.compareAndSet(s, s + 2)) {
                return true;
            }
        }
    }

    /**
     * Starts a use even after {@link #close()}, as long as the release has not run: for calls made
     * on behalf of users that {@link #retain() retain} this lifetime (a closed backend synchronizing
     * for the ops that still hold it). False once released.
     */
    public boolean hold() {
        while (true) {
            int s = state.get();
            if (s == RELEASED || s == CLOSED) {
                return false;
            }
            if (state.compareAndSet(s, s + 2)) {
                return true;
            }
        }
    }

    /** Starts a use or throws {@link IllegalStateException} saying that {@code what} is closed. */
    public void enterOrThrow(String what) {
        if (!enter()) {
            throw new IllegalStateException(what + " is closed");
        }
    }

    /** Ends a use; the last one after {@link #close()} runs the release. */
    public void exit() {
        if (state.addAndGet(-2) == CLOSED) {
            release.runOnce();
        }
    }

    /**
     * A use that outlives the call (an op keeping its backend's context): the same as {@link #enter()}.
     * Pair it with {@link #exit()} when the user is released.
     */
    public boolean retain() {
        return enter();
    }

    /** Whether {@link #close()} was called (or the owner was cleaned). */
    public boolean isClosed() {
        int s = state.get();
        return (s & CLOSED) != 0 || s == RELEASED;
    }

    /** Refuses new users; the release runs now, or when the last current user exits. Idempotent. */
    public void close() {
        release.explicit = true;
        cleanable.clean();
    }

    /** Memory guarded by open lifetimes in this process, in bytes (as declared by their owners). */
    public static long heldBytes() {
        return HELD_BYTES.get();
    }

    private static void reserve(long bytes) {
        if (bytes <= 0) {
            return;
        }
        long held = HELD_BYTES.addAndGet(bytes);
        long limit = COLLECT_ABOVE.get();
        if (held > limit) {
            // Unreachable owners are only found by a collection; their releases then run on the
            // cleaner's thread: wait until it has drained (the total stops falling) or 200 ms.
            System.gc();
            long deadline = System.nanoTime() + 200_000_000L;
            long last = HELD_BYTES.get();
            int still = 0;
            while (System.nanoTime() < deadline && still < 5) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                long now = HELD_BYTES.get();
                still = now < last ? 0 : still + 1;
                last = now;
            }
            // Collect again only when the live total has doubled since.
            COLLECT_ABOVE.set(Math.max(256L << 20, 2 * HELD_BYTES.get()));
        }
    }

    /** The cleaning action: holds the state, never the owner. */
    private static final class Release implements Runnable {
        private final AtomicInteger state;
        private final String kind;
        private final long bytes;
        private final Runnable action;
        volatile boolean explicit;

        Release(AtomicInteger state, String kind, long bytes, Runnable action) {
            this.state = state;
            this.kind = kind;
            this.bytes = bytes;
            this.action = action;
        }

        @Override
        public void run() {
            if (!explicit && LEAKS_LOGGED.add(kind)) {
                LOG.log(System.Logger.Level.DEBUG, kind + " was not closed; the garbage collector released it"
                        + " (close what you create, or use try-with-resources; logged once per kind)");
            }
            int s = state.getAndUpdate(v -> v == RELEASED ? v : v | CLOSED);
            if (s == 0) {
                runOnce();
            }
        }

        void runOnce() {
            if (state.compareAndSet(CLOSED, RELEASED)) {
                HELD_BYTES.addAndGet(-Math.max(bytes, 0));
                action.run();
            }
        }
    }
}
