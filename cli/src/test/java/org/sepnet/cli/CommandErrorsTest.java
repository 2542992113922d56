package org.sepnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.backend.cuda.CudaBackend;
import org.sepnet.cli.CommandLineTest.Run;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Npy;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Data;

/**
 * What the command line says when asked for something wrong or impossible: one line on standard
 * error naming the value and what was expected, never a stack trace, and a non-zero exit.
 */
class CommandErrorsTest {
    @TempDir
    Path dir;

    /** As {@code ./sepnet} runs: the library's INFO line about the backend choice is not printed. */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("org.sepnet");

    @org.junit.jupiter.api.BeforeAll
    static void quiet() {
        QUIET.setLevel(java.util.logging.Level.WARNING);
    }

    private static void oneLine(Run r, int code, String expected) {
        assertEquals(code, r.code(), r.out() + r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n") || err.contains("\tat ") || err.contains("Exception"), "one line, no trace: " + r.err());
        assertTrue(err.contains(expected), r.err());
    }

    private Path images(String name, int n, int c, int h, int w) throws IOException {
        Path p = dir.resolve(name);
        try (HostTensor x = HostTensor.of(Shape.of(n, c, h, w), Data.uniform(n * c * h * w, new SplittableRandom(n)))) {
            Npy.write(p, x);
        }
        return p;
    }

    @Test
    void badPathsNameTheFileAndWhy() throws IOException {
        oneLine(CommandLineTest.run("inspect", dir.toString()), 1, dir + " is a directory; expected a model file");
        Path model = dir.resolve("m.sepnet");
        assertEquals(0, CommandLineTest.run("binarize", "resnet20", "-o", model.toString()).code());
        Assumptions.assumeFalse("root".equals(System.getProperty("user.name")), "root reads any file");
        Files.setPosixFilePermissions(model, PosixFilePermissions.fromString("-w-------"));
        oneLine(CommandLineTest.run("inspect", model.toString()), 1, model + ": permission denied");
    }

    @Test
    void aDirectoryAsRunInputIsNamed() throws IOException {
        oneLine(CommandLineTest.run("run", "resnet20", "--input", dir.toString(), "--output", dir.resolve("y.npy").toString()), 1,
                dir + " is a directory; expected a .npy file");
    }

    @Test
    void impossibleThreadCountsAreRefused() {
        for (String bad : new String[] {"5000", "abc", "0"}) {
            System.setProperty("sepnet.threads", bad);
            try {
                oneLine(CommandLineTest.run("profile", "resnet20", "--repetitions", "1"), 2,
                        "-Dsepnet.threads=" + bad + "; expected a whole number from 1 to 1024");
            } finally {
                System.clearProperty("sepnet.threads");
            }
        }
    }

    @Test
    void anUnavailableDemoBackendIsAnError() {
        Assumptions.assumeFalse(CudaBackend.instance().availability().available(), "a GPU is here");
        oneLine(CommandLineTest.run("demo", "--backend", "cuda", "--seconds", "0.01"), 1,
                "--backend cuda: the cuda backend is unavailable: ");
    }

    /** A tiny input through a model whose output per image is large: streamed batch by batch, any n. */
    @Test
    void runStreamsOutputsAndWarnsAboutNonFiniteOnes() throws IOException {
        Path x = images("x.npy", 3, 3, 32, 32);
        try (HostTensor t = Npy.read(x)) {
            t.set(5, Float.NaN);
            Npy.write(x, t);
        }
        Path y = dir.resolve("y.npy");
        Run r = CommandLineTest.run("run", "resnet20", "--input", x.toString(), "--output", y.toString(), "--batch", "2",
                "--backend", "reference");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: 10 of 30 outputs are NaN or infinite"), r.err());
        try (HostTensor out = Npy.read(y)) {
            assertEquals(Shape.of(3, 10), out.shape());
            assertTrue(Float.isNaN(out.get(0)) && Float.isFinite(out.get(10)) && Float.isFinite(out.get(29)));
        }
    }

    /** A small image through a model whose activations cannot exist: one line, exit 1 (was an OutOfMemoryError or NegativeArraySizeException). */
    @Test
    void aModelTooWideForMemoryIsOneLine() throws IOException {
        org.sepnet.layers.Layer wide = new org.sepnet.layers.Conv2d("wide", org.sepnet.layers.ConvSpec.pointwise(3, 4096, 1, 1),
                org.sepnet.tensor.ConvWeights.random(4096, 3, 1, 1, false, 1));
        Path model = dir.resolve("wide.sepnet");
        org.sepnet.io.ModelFile.write(new org.sepnet.models.Model("wide", "4096 outputs of 512x512", wide, Shape.of(3, 512, 512)), model);
        Path x = images("x.npy", 1, 3, 512, 512);
        oneLine(CommandLineTest.run("run", model.toString(), "--input", x.toString(), "--output", dir.resolve("y.npy").toString(),
                "--backend", "reference"), 1, "layer wide: output would have 1073741824 elements; expected at most 536870911");
    }

    /** Files are written whole or not at all, with the permissions of any new file (the umask applies). */
    @Test
    void modelFilesHonourTheUmaskAndLeaveNoTemporaryFiles() throws IOException {
        Path plain = dir.resolve("plain.txt");
        Files.writeString(plain, "x");
        Path model = dir.resolve("m.sepnet");
        assertEquals(0, CommandLineTest.run("binarize", "resnet20", "-o", model.toString()).code());
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(model), "as a plain new file");
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file is left behind");
        }
    }
}
