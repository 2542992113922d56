package org.sepnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.models.Zoo;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Npy;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Data;
import org.sepnet.testing.Fixtures;
import org.sepnet.testing.Outputs;
import org.sepnet.testing.Seeds;
import picocli.CommandLine;

class CommandLineTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.commandLine().execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void infoListsEveryBackendAndTheChoice() {
        Run r = run("info");
        assertEquals(0, r.code(), r.err());
        for (String name : new String[] {"cuda", "native", "reference"}) {
            assertTrue(r.out().contains(name), r.out());
        }
        assertTrue(r.out().contains("chosen: "), r.out());
        assertTrue(r.out().contains("build: CUDA fatbin"), r.out());
    }

    @Test
    void profileListsEveryOpWithItsTime() {
        Run r = run("profile", "resnet20", "--binarize", "--backend", "reference", "--repetitions", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("resnet20+binarized on reference (--backend reference), batch 1"), r.out());
        assertTrue(r.out().contains("stage3.block3.conv2: reference n1_g1_ic64oc64_ih8iw8_kh3kw3") && r.out().contains("fc: reference n1_in64_out10"), r.out());
        assertTrue(r.out().contains("sum of the ops: ") && r.out().contains("a whole forward pass: "), r.out());
        r = run("profile", "resnet20", "--repetitions", "0");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--repetitions 0; expected 1 or more"), r.err());
    }

    @Test
    void demoChecksEveryAvailableBackend() {
        Run r = run("demo", "--model", "resnet20", "--batch", "4", "--seconds", "0.05");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("resnet20+binarized") && r.out().contains("55,376 parameters"), r.out());
        assertTrue(r.out().contains("reference") && r.out().contains(" ok"), r.out());
        assertTrue(r.out().contains("resnet20-fmnist-bq (shipped in the jar)"), r.out());
        if (org.sepnet.data.FashionMnist.present(org.sepnet.data.FashionMnist.DEBIAN)) {
            // The shipped model on the 10,000 test images: at least 0.90 on every backend that ran them all.
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^(native|cuda) +10,000 +([0-9.]+)").matcher(r.out());
            int rows = 0;
            while (m.find()) {
                assertTrue(Double.parseDouble(m.group(2)) >= 0.90, m.group() + "\n" + r.out());
                rows++;
            }
            assertTrue(rows >= 1 || !org.sepnet.backend.cpu.NativeBackend.instance().availability().available(), r.out());
        } else {
            assertTrue(r.out().contains("apt-get install dataset-fashion-mnist"), r.out());
        }
    }

    /** Help lists every model name whole (never "mobilenet-0." on one line and "5" on the next). */
    @Test
    void helpListsModelNamesWhole() {
        for (String command : new String[] {"summary", "eval", "train", "binarize"}) {
            Run r = run(command, "--help");
            assertEquals(0, r.code(), r.err());
            for (String name : java.util.List.of("mobilenet-0.5", "sepnet-cifar", "resnet20-fmnist-bq")) {
                assertTrue(r.out().lines().anyMatch(l -> l.contains(name)), command + " help lacks " + name + ":\n" + r.out());
            }
            assertTrue(r.out().lines().noneMatch(l -> l.endsWith("mobilenet-0.") || l.endsWith("-")), r.out());
        }
    }

    @Test
    void summaryPrintsTheCountsAndJson() {
        Run r = run("summary", "resnet20", "--binarize", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().strip().startsWith("{\"model\": \"resnet20+binarized\"") && r.out().contains("\"params_paper\": 55376")
                && r.out().contains("\"macs\": 42910336") && r.out().contains("\"bytes\": ") && r.out().contains("\"params_stored\": "), r.out());
        r = run("summary", "googlenet", "--binarize", "--binarize-kernels", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("4,430,272"), r.out());
        r = run("summary", "resnet21");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown model 'resnet21'") && r.err().contains("sepnet-small"), r.err());
    }

    @Test
    void demoRejectsBadArgumentsWithAMessage() {
        Run r = run("demo", "--batch", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--batch 0"), r.err());
        r = run("demo", "--model", "lenet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown model 'lenet'"), r.err());
        r = run("demo", "--backend", "tpu");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown backend 'tpu'"), r.err());
    }

    // ------------------------------------------------------------------ model files

    private static float[] npy(Path p) throws IOException {
        try (HostTensor t = Npy.read(p)) {
            return t.toArray();
        }
    }

    /** A user's path through the file commands: export, import, binarize, quantize, inspect, summary, qerror, run. */
    @Test
    void modelFileCommandsWorkTogether(@TempDir Path dir) throws IOException {
        String onnx = dir.resolve("r20.onnx").toString();
        Run r = run("export", "resnet20", "--seed", "3", "-o", onnx);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("exported resnet20"), r.out());

        String f = dir.resolve("r20.sepnet").toString();
        r = run("import", onnx, "-o", f);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(onnx)") && r.out().contains("292,944 parameters"), r.out());

        String b = dir.resolve("r20b.sepnet").toString();
        r = run("binarize", f, "-o", b, "--keep-first", "--keep-shortcuts");
        assertEquals(0, r.code(), r.err());
        // 19 of the 21 3×3 convolutions kept by the authors' rule... minus the first: 18 binarized, 3 kept.
        assertTrue(r.out().contains("binarized 18 k×k layers") && r.out().contains("292,944 -> 55,376"), r.out());

        String bq = dir.resolve("r20bq.sepnet").toString();
        r = run("quantize", b, "-o", bq);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("quantized resnet20"), r.out());
        assertTrue(Files.size(Path.of(bq)) < Files.size(Path.of(b)) && Files.size(Path.of(b)) < Files.size(Path.of(f)));

        r = run("inspect", bq);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("sepnet model file, " + String.format("%,d", Files.size(Path.of(bq))) + " bytes"), r.out());
        assertTrue(r.out().contains("pattern_conv3x3") && r.out().contains("tensor ") && r.out().contains("CRC-32 verified"), r.out());

        r = run("summary", b, "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"params_paper\": 55376"), r.out());

        r = run("qerror", f, "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"kernel\": \"3x3\", \"filters\": 784"), r.out());
        r = run("qerror", b);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("18 layers are binarized already"), r.out());

        // run: the file's logits equal the zoo model's on the reference backend.
        Path x = dir.resolve("x.npy");
        float[] images = Data.uniform(3 * 3 * 32 * 32, new SplittableRandom(Seeds.of("cli-run")));
        try (HostTensor t = HostTensor.of(Shape.nchw(3, 3, 32, 32), images)) {
            Npy.write(x, t);
        }
        Path y = dir.resolve("y.npy");
        r = run("run", f, "--input", x.toString(), "--output", y.toString(), "--batch", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("on 3 images") && r.out().contains("[3, 10]"), r.out());
        float[] expected = Outputs.run(Zoo.build("resnet20", 3), ReferenceBackend.instance(), 3, images, 3);
        Outputs.assertClose(expected, npy(y), "sepnet run");
    }

    @Test
    void fileCommandsRejectBadInputWithAMessage(@TempDir Path dir) throws IOException {
        Run r = run("inspect", dir.resolve("missing.sepnet").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("missing.sepnet: no such file"), r.err());
        Path junk = dir.resolve("junk.sepnet");
        Files.write(junk, new byte[] {'S', 'E', 'P', 'N', 'E', 'T', 0, '\n', 9, 0, 0, 0, 2, 0, 0, 0});
        r = run("inspect", junk.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("format version 9; this library reads versions 1 to 2"), r.err());
        r = run("import", "resnet20", "-o", dir.resolve("out.txt").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("expected a file name ending in .sepnet"), r.err());
        r = run("binarize", "resnet20", "-o", dir.resolve("b.sepnet").toString(), "--alpha", "median");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("median"), r.err());
        r = run("run", "resnet20", "--input", dir.resolve("none.npy").toString(), "--output", dir.resolve("y.npy").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("none.npy: no such file"), r.err());
        r = run("summary", dir.resolve("model.onnx").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("model.onnx: no such file"), r.err());
    }

    @Test
    void importsTheAuthorsCaffeModel(@TempDir Path dir) throws IOException {
        Path caffe = Fixtures.path(Fixtures.RESNET20_CAFFE);
        String f = dir.resolve("authors.sepnet").toString();
        Run r = run("import", caffe.toString(), "-o", f);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(caffe)") && r.out().contains("input [3, 32, 32]") && r.out().contains("292,944 parameters"), r.out());
        r = run("summary", caffe.toString(), "--binarize", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"params_paper\": 55376"), r.out());
    }
}
