package org.sepnet.cli;

import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.backend.cpu.NativeBackend;
import picocli.CommandLine.Option;

/** The {@code --backend NAME} option of the commands that run one model on one backend. */
final class BackendOption {
    @Option(names = "--backend", paramLabel = "NAME", description = "cuda, native or reference (default: the best available).")
    String name;

    /** A backend and why it runs: the option, or the automatic choice's reason. */
    record Choice(Backend backend, String why) {}

    /**
     * The named backend, or the best available one.
     *
     * @throws IllegalArgumentException when the name is unknown
     * @throws IllegalStateException when the named backend is unavailable, saying why
     */
    Choice choose() {
        requireValidProperties();
        if (name == null) {
            Backends.Selection s = select();
            return new Choice(s.backend(), s.reason());
        }
        Backend b = Backends.byName(name);
        if (!b.availability().available()) {
            throw new IllegalStateException("backend " + b.name() + " is unavailable: " + b.availability().detail());
        }
        return new Choice(b, "--backend " + name);
    }

    /**
     * Refuses backend properties that ask for something impossible ({@code -Dsepnet.threads=5000}),
     * which the library would answer by skipping the backend: on the command line that is an error.
     */
    static void requireValidProperties() {
        String problem = NativeBackend.propertyProblem();
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** {@link Backends#select()}, with a forced backend that is unknown or unavailable as an IllegalArgumentException. */
    static Backends.Selection select() {
        requireValidProperties();
        try {
            return Backends.select();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
