package org.sepnet.backend;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.backend.cuda.CudaBackend;
import org.sepnet.backend.reference.ReferenceBackend;

/**
 * The ranked backend registry: {@code cuda}, then {@code native}, then {@code reference}. The first
 * available one is used unless {@code -Dsepnet.backend=NAME} forces one. Each backend is probed once,
 * lazily; probing never throws.
 */
public final class Backends {
    /** System property that forces a backend by name. */
    public static final String PROPERTY = "sepnet.backend";

    private static final System.Logger LOG = System.getLogger("org.sepnet");
    private static final List<String> NAMES = List.of(CudaBackend.NAME, NativeBackend.NAME, ReferenceBackend.NAME);
    private static final List<Supplier<Backend>> RANKED = List.of(
            CudaBackend::instance, NativeBackend::instance, ReferenceBackend::instance);
    private static volatile Selection chosen;

    private Backends() {}

    /** A backend choice and the reason for it. */
    public record Selection(Backend backend, String reason) {}

    /** Backend names in rank order. */
    public static List<String> names() {
        return NAMES;
    }

    /** Every backend in rank order, available or not. */
    public static List<Backend> all() {
        List<Backend> out = new ArrayList<>();
        for (Supplier<Backend> s : RANKED) {
            out.add(s.get());
        }
        return out;
    }

    /** The available backends in rank order (the reference is always among them). */
    public static List<Backend> available() {
        List<Backend> out = new ArrayList<>();
        for (Backend b : all()) {
            if (b.availability().available()) {
                out.add(b);
            }
        }
        return out;
    }

    /**
     * The backend named {@code name}, available or not.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static Backend byName(String name) {
        int i = NAMES.indexOf(name.strip().toLowerCase());
        if (i < 0) {
            throw new IllegalArgumentException("unknown backend '" + name + "'; expected one of " + String.join(", ", NAMES));
        }
        return RANKED.get(i).get();
    }

    /** The backend to use: forced by {@code -Dsepnet.backend}, else the best available. */
    public static Backend best() {
        return select().backend();
    }

    /**
     * The backend to use and why. The decision is made once per process and logged at INFO.
     *
     * @throws IllegalArgumentException if {@code -Dsepnet.backend} names an unknown backend
     * @throws IllegalStateException if it names one that is unavailable here (with the reason)
     */
    public static Selection select() {
        Selection s = chosen;
        if (s == null) {
            synchronized (Backends.class) {
                s = chosen;
                if (s == null) {
                    s = decide(System.getProperty(PROPERTY));
                    LOG.log(Level.DEBUG, "sepnet: backend " + s.backend().name() + " (" + s.reason() + ")");
                    chosen = s;
                }
            }
        }
        return s;
    }

    /** The decision for a forced name ({@code null} or blank for automatic). */
    public static Selection decide(String forced) {
        if (forced != null && !forced.isBlank()) {
            Backend b = byName(forced);
            Availability a = b.availability();
            if (!a.available()) {
                throw new IllegalStateException("-D" + PROPERTY + "=" + forced + " forces the " + b.name()
                        + " backend, which is unavailable: " + a.detail());
            }
            return new Selection(b, "forced by -D" + PROPERTY + "=" + forced + "; " + a.detail());
        }
        StringBuilder skipped = new StringBuilder();
        for (Backend b : all()) {
            Availability a = b.availability();
            if (a.available()) {
                String why = skipped.length() == 0 ? "best available" : "best available; " + skipped;
                return new Selection(b, why + "; " + a.detail());
            }
            skipped.append(skipped.length() == 0 ? "" : "; ").append(b.name()).append(" unavailable: ").append(a.detail());
        }
        throw new IllegalStateException("no backend is available: " + skipped);
    }
}
