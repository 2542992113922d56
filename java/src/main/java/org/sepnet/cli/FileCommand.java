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

    /** The leaf layers of {@code l}, depth first. */
    static java.util.List<org.sepnet.layers.Layer> leaves(org.sepnet.layers.Layer l) {
        java.util.List<org.sepnet.layers.Layer> out = new java.util.ArrayList<>();
        collect(l, out);
        return out;
    }

    private static void collect(org.sepnet.layers.Layer l, java.util.List<org.sepnet.layers.Layer> out) {
        if (l.children().isEmpty()) {
            out.add(l);
        }
        for (org.sepnet.layers.Layer c : l.children()) {
            collect(c, out);
        }
    }

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
