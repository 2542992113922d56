package org.sepnet.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.cli.CommandLineTest.Run;
import org.sepnet.data.FashionMnist;
import org.sepnet.io.ModelFile;
import org.sepnet.layers.PatternConv2d;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;

/**
 * {@code train}, {@code refine} and {@code eval} as a user runs them: on a directory of synthetic
 * IDX files (always), and on a slice of Fashion-MNIST when the package is installed.
 */
class TrainCommandsTest {
    @TempDir
    Path dir;

    /** IDX files of {@link org.sepnet.testing.Data#squares} images: 160 for training, 70 for testing. */
    private Path idxData() throws IOException {
        Path d = dir.resolve("squares");
        Files.createDirectories(d);
        SplittableRandom r = new SplittableRandom(7);
        for (String split : new String[] {"train", "t10k"}) {
            int n = split.equals("train") ? 160 : 70;
            org.sepnet.testing.Data.Squares sq = org.sepnet.testing.Data.squares(n, r);
            byte[] pixels = sq.pixels();
            byte[] labels = sq.labels();
            write(d.resolve(split + "-images-idx3-ubyte.gz"), ByteBuffer.allocate(16).putInt(0x803).putInt(n).putInt(8).putInt(8).array(),
                    pixels);
            write(d.resolve(split + "-labels-idx1-ubyte.gz"), ByteBuffer.allocate(8).putInt(0x801).putInt(n).array(), labels);
        }
        return d;
    }

    private static void write(Path p, byte[] header, byte[] body) throws IOException {
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(p))) {
            o.write(header);
            o.write(body);
        }
    }

    private static double lastTestTop1(String out) {
        Matcher m = Pattern.compile("test top-1 ([0-9.]+) after").matcher(out);
        assertTrue(m.find(), out);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void trainEvalRefineQuantizeEvalOnIdxFiles() throws IOException {
        String data = idxData().toString();
        String trained = dir.resolve("float.sepnet").toString();
        // Crops of one pixel, no flips: a flip would move the square to another class's place.
        Run t = CommandLineTest.run("train", "resnet8", "--data", data, "--epochs", "4", "--batch", "16", "--lr", "0.05", "--pad", "1",
                "--no-flip", "-o", trained);
        assertEquals(0, t.code(), t.out() + t.err());
        assertTrue(t.out().contains("epoch 4/4: loss"), t.out());
        assertTrue(Files.exists(dir.resolve("float.ckpt")), "checkpoint next to the output");
        Model m = ModelFile.read(Path.of(trained));
        assertNotNull(m.normalization(), "the training set's normalization is stored");
        assertEquals("0", m.labels().get(0));

        Run e = CommandLineTest.run("eval", trained, "--data", data, "--json");
        assertEquals(0, e.code(), e.err());
        JsonObject o = JsonParser.parseString(e.out()).getAsJsonObject();
        assertEquals(70, o.get("images").getAsInt());
        assertEquals(lastTestTop1(t.out()), o.get("top1").getAsDouble(), 5e-5, "eval repeats the last epoch's test accuracy");
        assertTrue(o.get("top1").getAsDouble() >= 0.8, e.out());
        assertEquals(10, o.getAsJsonObject("per_class").size());
        assertTrue(o.get("top5").getAsDouble() >= o.get("top1").getAsDouble());

        // run: pixel/255 in, normalized by the model itself; its predictions are eval's.
        org.sepnet.data.ImageSet test = org.sepnet.data.DataSet.open(data).test();
        float[] x = new float[test.size() * 64];
        for (int i = 0; i < test.size(); i++) {
            test.pixels(i, x, i * 64);
        }
        Path xs = dir.resolve("x.npy");
        Path ys = dir.resolve("y.npy");
        org.sepnet.tensor.Npy.write(xs, org.sepnet.tensor.HostTensor.of(org.sepnet.tensor.Shape.of(test.size(), 1, 8, 8), x));
        Run run = CommandLineTest.run("run", trained, "--input", xs.toString(), "--output", ys.toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("images normalized as the model stores"), run.out());
        org.sepnet.data.Evaluation ev = new org.sepnet.data.Evaluation(10);
        int[] labels = new int[test.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = test.label(i);
        }
        ev.add(org.sepnet.tensor.Npy.read(ys).toArray(), labels, labels.length);
        assertEquals(o.get("top1").getAsDouble(), ev.top1(), 1e-12, "run's predictions are eval's");
        assertEquals(0, CommandLineTest.run("run", trained, "--raw", "--input", xs.toString(), "--output", ys.toString()).code());

        Run table = CommandLineTest.run("eval", trained, "--data", data, "--limit", "20");
        assertEquals(0, table.code(), table.err());
        assertTrue(table.out().contains("20 images") && table.out().contains("(rows: true class; columns: predicted class)"), table.out());

        String refined = dir.resolve("refined.sepnet").toString();
        Run r = CommandLineTest.run("refine", trained, "--data", data, "--epochs", "1", "--batch", "16", "--no-flip", "--keep-first",
                "--freeze-alpha", "-o", refined);
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("binarized ") && r.out().contains("frozen */alpha"), r.out());
        Model rm = ModelFile.read(Path.of(refined));
        Model binarized = m.with(Transforms.binarize(m.graph(), new Transforms.BinarizeOptions(org.sepnet.pattern.Alpha.parse("per-filter"),
                true, false, java.util.Set.of(), java.util.Set.of())), "");
        assertEquals(m.normalization(), rm.normalization(), "refining keeps the float network's normalization");
        int patterns = 0;
        var before = leaves(binarized);
        var after = leaves(rm);
        for (int i = 0; i < before.size(); i++) {
            if (before.get(i) instanceof PatternConv2d p) {
                assertArrayEquals(p.weights().bits(), ((PatternConv2d) after.get(i)).weights().bits(), "signs of " + p.name());
                assertArrayEquals(p.weights().alpha(), ((PatternConv2d) after.get(i)).weights().alpha(), "frozen α of " + p.name());
                patterns++;
            }
        }
        assertTrue(patterns > 0);

        String bq = dir.resolve("bq.sepnet").toString();
        assertEquals(0, CommandLineTest.run("quantize", refined, "-o", bq).code());
        Run q = CommandLineTest.run("eval", bq, "--data", data, "--json");
        assertEquals(0, q.code(), q.err());
        assertTrue(JsonParser.parseString(q.out()).getAsJsonObject().get("top1").getAsDouble() >= 0.6, q.out());
    }

    @Test
    void resumeContinuesTheRunTheCheckpointHolds() throws IOException {
        String data = idxData().toString();
        Path out = dir.resolve("a.sepnet");
        Run two = CommandLineTest.run("train", "resnet8", "--data", data, "--epochs", "2", "--batch", "32", "-o", out.toString());
        assertEquals(0, two.code(), two.err());
        byte[] unbroken = Files.readAllBytes(out);
        // A one-epoch run's checkpoint, resumed with the stored options of a two-epoch run: rewrite its epochs by resuming
        // from a checkpoint taken after epoch 1 of the same two-epoch run.
        Path ckpt = dir.resolve("a.ckpt");
        org.sepnet.train.Checkpoint c = org.sepnet.train.Checkpoint.read(ckpt);
        assertEquals(2, c.state().epoch());
        Run again = CommandLineTest.run("train", "resnet8", "--data", data, "--resume", "-o", out.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("resuming train from"), again.out());
        assertArrayEquals(unbroken, Files.readAllBytes(out), "a finished run resumed writes the same model");
        Run other = CommandLineTest.run("refine", out.toString(), "--data", data, "--resume", "--checkpoint", ckpt.toString(), "-o",
                dir.resolve("b.sepnet").toString());
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().contains("is a checkpoint of 'train'"), other.err());
    }

    /**
     * A separate JVM sent a stop signal mid-run writes a checkpoint, exits, and writes no model. SIGTERM, which runs the
     * same shutdown hook as Ctrl-C's SIGINT: a JVM started under a non-interactive shell's background job inherits SIGINT
     * ignored and would never see it.
     */
    @Test
    void aStopSignalWritesACheckpointToResumeFrom() throws Exception {
        String data = idxData().toString();
        Path out = dir.resolve("s.sepnet");
        Path ckpt = dir.resolve("s.ckpt");
        String jvm = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(jvm, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train", "resnet8", "--data",
                data, "--epochs", "500", "--batch", "16", "-o", out.toString()).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = lines.readLine()) != null) {
                log.append(line).append('\n');
                if (line.startsWith("epoch 2/500")) {
                    new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).start().waitFor();
                }
            }
        }
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), log.toString());
        assertEquals(143, p.exitValue(), log.toString());  // 128 + SIGTERM; Ctrl-C gives 130
        assertTrue(log.toString().contains("interrupted; checkpoint written to " + ckpt), log.toString());
        assertTrue(!Files.exists(out), "no model is written by a stopped run");
        org.sepnet.train.Checkpoint c = org.sepnet.train.Checkpoint.read(ckpt);
        assertTrue(c.state().epoch() >= 2 && c.state().epoch() < 500, "stopped at epoch " + c.state().epoch() + " step " + c.state().step());
    }

    @Test
    void mistakesAreOneLineEach() throws IOException {
        String data = idxData().toString();
        String out = dir.resolve("x.sepnet").toString();
        Run r = CommandLineTest.run("train", "resnet8", "--data", dir.resolve("nowhere").toString(), "-o", out);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no such directory") && r.err().contains("dataset-fashion-mnist"), r.err());
        r = CommandLineTest.run("train", "resnet8", "--data", dir.toString(), "-o", out);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("found neither"), r.err());
        r = CommandLineTest.run("train", "resnet8", "--data", data, "--resume", "-o", out);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no checkpoint at"), r.err());
        r = CommandLineTest.run("train", "mobilenet-0.5", "--data", data, "-o", out);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("takes [3, 224, 224] images"), r.err());
        r = CommandLineTest.run("eval", "resnet8", "--data", data, "--split", "val");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--split val; expected test or train"), r.err());
        r = CommandLineTest.run("train", "resnet8", "--data", data, "--lr", "-1", "-o", out);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("learning rate -1.0"), r.err());
        Path small = dir.resolve("small.sepnet");
        ModelFile.write(org.sepnet.models.Zoo.build("resnet8", 1, org.sepnet.tensor.Shape.of(1, 12, 12), 10), small);
        r = CommandLineTest.run("eval", small.toString(), "--data", data);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("takes [1, 12, 12] images; the data's are [1, 8, 8]"), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("sepnet ")).count(), r.err());
    }

    /** A slice of the real data: one epoch of ResNet-20 on 512 images, then eval on 256 test images. */
    @Test
    void aSliceOfFashionMnist() throws IOException {
        Assumptions.assumeTrue(FashionMnist.present(FashionMnist.DEBIAN), "dataset-fashion-mnist is not installed");
        String out = dir.resolve("f.sepnet").toString();
        Run t = CommandLineTest.run("train", "resnet20", "--data", "fashion-mnist", "--limit", "512", "--epochs", "1", "-o", out);
        assertEquals(0, t.code(), t.out() + t.err());
        Model m = ModelFile.read(Path.of(out));
        assertEquals(FashionMnist.LABELS, m.labels());
        assertEquals(0.2860, m.normalization().mean()[0], 0.01, "the slice's mean is near the whole set's");
        Run e = CommandLineTest.run("eval", out, "--data", "fashion-mnist", "--limit", "256", "--json");
        assertEquals(0, e.code(), e.err());
        JsonObject o = JsonParser.parseString(e.out()).getAsJsonObject();
        assertEquals(256, o.get("images").getAsInt());
        assertTrue(o.getAsJsonObject("per_class").has("Ankle boot"), e.out());
    }

    private static java.util.List<org.sepnet.layers.Layer> leaves(Model m) {
        java.util.List<org.sepnet.layers.Layer> out = new java.util.ArrayList<>();
        Transforms.map(m.graph(), l -> {
            out.add(l);
            return l;
        });
        return out;
    }
}
