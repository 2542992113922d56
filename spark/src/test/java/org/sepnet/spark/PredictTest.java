package org.sepnet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.data.DataSet;
import org.sepnet.data.ImageSet;
import org.sepnet.io.Pretrained;
import org.sepnet.testing.Seeds;
import org.sepnet.train.Evaluator;

/** spark/predict.sh's program: its top-1 is exactly what {@code ./sepnet eval} computes on the same images. */
class PredictTest {
    @Test
    void randomImagesGiveEvalsTop1AndParquet(@TempDir Path dir) throws Exception {
        int n = 300;
        byte[] px = LocalSpark.grayImages(Seeds.of("predict"), n, 28, 28);
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (byte) ((px[i * 784] & 0xFF) % 10);
        }
        Path data = Files.createDirectory(dir.resolve("idx"));
        Files.write(data.resolve("train-images-idx3-ubyte"), idx(new int[] {1, 28, 28}, new byte[784]));
        Files.write(data.resolve("train-labels-idx1-ubyte"), idx(new int[] {1}, new byte[1]));
        Files.write(data.resolve("t10k-images-idx3-ubyte"), idx(new int[] {n, 28, 28}, px));
        Files.write(data.resolve("t10k-labels-idx1-ubyte"), idx(new int[] {n}, labels));
        Path out = dir.resolve("out");
        JsonObject j = run(SepnetClassifierTest.MODEL, "--data", data.toString(), "--master", "local[2]", "--batch", "32", "--out",
                out.toString());
        assertEquals(n, j.get("images").getAsLong());
        assertEquals(evalTop1(DataSet.open(data.toString()).test()), j.get("top1").getAsDouble(), 0.0, Seeds.replay("predict"));
        assertEquals(2, j.get("partitions").getAsInt());
        assertEquals("native", j.get("backend").getAsString());
        assertEquals(n, LocalSpark.session().read().parquet(out.toString()).count());
    }

    @Test
    void fashionMnistTop1EqualsEvals() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/usr/share/datasets/fashion-mnist")), "dataset-fashion-mnist is not installed");
        JsonObject j = run(SepnetClassifierTest.MODEL, "--data", "fashion-mnist", "--master", "local[2]", "--limit", "2000", "--partitions", "3");
        ImageSet test = DataSet.open("fashion-mnist").test().limit(2000);
        assertEquals(2000, j.get("images").getAsLong());
        assertEquals(evalTop1(test), j.get("top1").getAsDouble(), 0.0);
        assertTrue(j.get("top1").getAsDouble() >= 0.90, j.toString());
    }

    @Test
    void mistakesSayWhatWasExpected() {
        assertMessage("expected one MODEL and --data", "resnet20-fmnist-bq");
        assertMessage("unknown option --epochs", "m", "--data", "d", "--epochs", "3");
        assertMessage("--batch 0; expected a positive integer", "m", "--data", "d", "--batch", "0");
        assertMessage("--out needs a value", "m", "--data", "d", "--out");
    }

    private static void assertMessage(String part, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Predict.Options.parse(args));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    private static double evalTop1(ImageSet set) throws IOException {
        try (NativeBackend b = NativeBackend.create(2, "auto", org.sepnet.backend.cpu.PatternAlgorithm.AUTO)) {
            return Evaluator.evaluate(Pretrained.load(SepnetClassifierTest.MODEL), set, b, 128).top1();
        }
    }

    private static JsonObject run(String... args) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertEquals(0, Predict.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        String text = bytes.toString(StandardCharsets.UTF_8).strip();
        System.out.println("predict: " + text);
        return JsonParser.parseString(text).getAsJsonObject();
    }

    /** An IDX file of unsigned bytes. */
    private static byte[] idx(int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeInt(0x0800 | dims.length);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(data);
        return b.toByteArray();
    }
}
