package org.sepnet.cli;

import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * A command that reads or writes model files: usage mistakes exit with 2, unreadable or
 * unsupported files with 1, each with one line on standard error naming the problem.
 */
abstract class FileCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The command's work; returns the exit code. */
    abstract int run() throws IOException;

    @Override
    public final Integer call() {
        String name = "sepnet " + spec.name();
        try {
            return run();
        } catch (IllegalArgumentException e) {
            System.err.println(name + ": " + e.getMessage());
            return 2;
        } catch (java.nio.file.NoSuchFileException e) {
            System.err.println(name + ": " + e.getFile() + ": no such file");
            return 1;
        } catch (IOException | IllegalStateException e) {
            System.err.println(name + ": " + e.getMessage());
            return 1;
        }
    }
}
