package org.sepnet.cli;

import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
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
        if (name == null) {
            Backends.Selection s = Backends.select();
            return new Choice(s.backend(), s.reason());
        }
        Backend b = Backends.byName(name);
        if (!b.availability().available()) {
            throw new IllegalStateException("backend " + b.name() + " is unavailable: " + b.availability().detail());
        }
        return new Choice(b, "--backend " + name);
    }
}
