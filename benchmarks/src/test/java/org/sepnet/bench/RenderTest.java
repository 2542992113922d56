package org.sepnet.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The renderer on a hand-written JMH result file: ratios, derived units, the chart. */
class RenderTest {
    private static String result(String benchmark, String params, double score, String error, String unit) {
        return "{\"jmhVersion\": \"1.37\", \"benchmark\": \"org.sepnet.bench." + benchmark + "\", \"mode\": \"avgt\", \"threads\": 1, "
                + "\"forks\": 1, \"jdkVersion\": \"17.0.15\", \"vmName\": \"OpenJDK 64-Bit Server VM\", \"warmupIterations\": 2, "
                + "\"warmupTime\": \"1 s\", \"measurementIterations\": 3, \"measurementTime\": \"1 s\", \"params\": {" + params + "}, "
                + "\"primaryMetric\": {\"score\": " + score + ", \"scoreError\": " + error + ", \"scoreUnit\": \"" + unit + "\"}}";
    }

    @Test
    void rendersRatiosUnitsAndCharts(@TempDir Path dir) throws IOException {
        String p = "\"problem\": \"pattern:n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1\"";
        String json = "[" + String.join(",",
                result("OpBenchmark.run", p + ", \"runtime\": \"native\"", 20.0, "1.5", "us/op"),
                result("OpBenchmark.run", p + ", \"runtime\": \"onnxruntime\"", 50.0, "\"NaN\"", "us/op"),
                result("NetworkBenchmark.forward", "\"batch\": \"32\", \"runtime\": \"native\", \"model\": \"resnet20\"", 16.0, "0.5", "ms/op"),
                result("NetworkBenchmark.forward", "\"batch\": \"32\", \"runtime\": \"onnxruntime\", \"model\": \"resnet20\"", 8.0, "0.2", "ms/op"))
                + "]";
        Path f = dir.resolve("r.json");
        Files.writeString(f, json);
        List<Render.Result> rs = Render.read(f);
        assertEquals(4, rs.size());
        assertEquals(16_000.0, rs.get(2).micros(), 1e-9, "ms/op converted to µs");

        Path png = dir.resolve("c.png");
        assertTrue(Render.chart(rs, "OpBenchmark", "t", png));
        byte[] head = Arrays.copyOf(Files.readAllBytes(png), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);

        String md = Render.markdown(rs, new Render.Info("T", "2026-11-26", "test machine", "abc1234", "run.sh"), Map.of("OpBenchmark", "c.png"));
        // 2.36M MACs in 20 µs: 2 × 2,359,296 / 20e3 = 235.9 GFLOP/s; ONNX Runtime 50 µs: 94.4.
        assertTrue(md.contains("| `pattern:n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1` | 20.0 ± 1.5 | 235.9 GFLOP/s | 50.0 | 94.4 GFLOP/s | 2.50x |"), md);
        // 32 images in 16 ms: 2000 img/s, half ONNX Runtime's speed.
        assertTrue(md.contains("| `batch=32 model=resnet20` | 16000 ± 500 | 2000.0 img/s | 8000 ± 200 | 4000.0 img/s | 0.50x |"), md);
        assertTrue(md.contains("![OpBenchmark](c.png)") && md.contains("Commit: abc1234") && md.contains("1 fork(s), 2 × 1 s warm-up"), md);
        assertEquals("0.00239x", Render.ratio(0.002391));
    }

    /** The charts show speed-ups against the peer: the reference's are left to the tables. */
    @Test
    void chartsLeaveTheReferenceOut(@TempDir Path dir) throws IOException {
        String p = "\"problem\": \"pattern:n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1\"";
        Path f = dir.resolve("r.json");
        Files.writeString(f, "[" + String.join(",",
                result("OpBenchmark.run", p + ", \"runtime\": \"reference\"", 20000.0, "10", "us/op"),
                result("OpBenchmark.run", p + ", \"runtime\": \"onnxruntime\"", 50.0, "1", "us/op")) + "]");
        List<Render.Result> rs = Render.read(f);
        assertFalse(Render.chart(rs, "OpBenchmark", "t", dir.resolve("c.png")), "only the reference against the peer: no chart");
        String tiny = "\"problem\": \"conv:n1_g1_ic1oc1_ih1iw1_kh1kw1_sh1sw1_ph0pw0\"";
        Files.writeString(f, "[" + String.join(",",
                result("OpBenchmark.run", tiny + ", \"runtime\": \"native\"", 0.1, "0.01", "us/op"),
                result("OpBenchmark.run", tiny + ", \"runtime\": \"onnxruntime\"", 4.0, "0.1", "us/op")) + "]");
        assertFalse(Render.chart(Render.read(f), "OpBenchmark", "t", dir.resolve("c.png")), "a fixed-cost case alone: no chart");
        String md = Render.markdown(rs, new Render.Info("T", "2026-11-26", "m", "abc1234", "run.sh"), Map.of());
        assertTrue(md.contains("0.00250x"), "the reference's ratio is in the table: " + md);
    }

    @Test
    void showsEachRateAsAShareOfTheMeasuredPeak(@TempDir Path dir) throws IOException {
        String p = "\"problem\": \"pattern:n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1\"";
        Path f = dir.resolve("r.json");
        Files.writeString(f, "[" + String.join(",",
                result("OpBenchmark.run", p + ", \"runtime\": \"native\"", 5.0, "0.5", "us/op"),
                result("OpBenchmark.run", p + ", \"runtime\": \"onnxruntime\"", 20.0, "1", "us/op"),
                result("NetworkBenchmark.forward", "\"batch\": \"1\", \"runtime\": \"native\", \"model\": \"resnet20\"", 1.0, "0.1", "ms/op"))
                + "]");
        String md = Render.markdown(Render.read(f), new Render.Info("T", "d", "m", "c", "run.sh", 420.7), Map.of());
        // 2 x 2,359,296 MACs in 5 us: 943.7 GFLOP/s, 224% of 420.7; in 20 us 235.9, 56%. Images/s get no share.
        assertTrue(md.contains("| 5.0 ± 0.5 | 943.7 GFLOP/s (224%) | 20.0 ± 1.0 | 235.9 GFLOP/s (56%) | 4.00x |"), md);
        assertTrue(md.contains("| 1000 ± 100 | 1000.0 img/s |"), md);
        assertTrue(md.contains("- Peak: 420.7 GFLOP/s"), md);
        String without = Render.markdown(Render.read(f), new Render.Info("T", "d", "m", "c", "run.sh"), Map.of());
        assertTrue(without.contains("| 943.7 GFLOP/s |") && !without.contains("Peak:"), without);
        assertEquals(420.7, Render.peak("420.7"), 0);
        for (String bad : new String[] {"fast", "0", "-3", "NaN", "Infinity"}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Render.peak(bad));
            assertTrue(e.getMessage().contains(bad) && e.getMessage().contains("expected the peak in GFLOP/s"), e.getMessage());
        }
    }

    @Test
    void splitsOpBenchmarksByOpWithAChartEach(@TempDir Path dir) throws IOException {
        String[] problems = {"pattern:n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1", "conv:n1_g32_ic32oc32_ih112iw112_kh3kw3_sh1sw1_ph1pw1",
                "conv:n1_g1_ic64oc32_ih28iw28_kh1kw1_sh1sw1_ph0pw0", "prb:n1_g4_ic16oc8_ih56iw56_kh3kw3_sh1sw1_ph1pw1_prb_pwg4"};
        List<String> rows = new java.util.ArrayList<>();
        for (String p : problems) {
            rows.add(result("OpBenchmark.run", "\"problem\": \"" + p + "\", \"runtime\": \"native\"", 10, "1", "us/op"));
            rows.add(result("OpBenchmark.run", "\"problem\": \"" + p + "\", \"runtime\": \"onnxruntime\"", 20, "1", "us/op"));
        }
        Path f = dir.resolve("r.json");
        Files.writeString(f, "[" + String.join(",", rows) + "]");
        Render.main(new String[] {"--out", dir.resolve("rep").toString(), "--machine", "a GPU box", "--date", "2026-01-02", f.toString()});
        String md = Files.readString(dir.resolve("rep.md"), StandardCharsets.UTF_8);
        for (String section : new String[] {"pattern", "depthwise", "conv", "prb"}) {
            assertTrue(md.contains("### " + section + "\n"), section + " heading: " + md);
            assertTrue(md.contains("(rep-opbenchmark-" + section + ".png)"), section + " chart: " + md);
            assertTrue(Files.size(dir.resolve("rep-opbenchmark-" + section + ".png")) > 1000);
        }
        assertTrue(md.indexOf("### depthwise") < md.indexOf("`conv:n1_g1_ic64oc32") && md.indexOf("### conv") < md.indexOf("`conv:n1_g1_ic64oc32"),
                "the 1x1 row sits under conv, after depthwise: " + md);
        assertTrue(md.contains("Machine: a GPU box") && md.contains("Date: 2026-01-02"), md);
        assertEquals("", Render.section("batch=1 model=resnet20"));
    }

    @Test
    void readsResultsThatNameTheRuntimeImplAsBefore(@TempDir Path dir) throws IOException {
        String p = "\"problem\": \"conv:n1_g1_ic64oc32_ih28iw28_kh1kw1_sh1sw1_ph0pw0\", ";
        String[] md = new String[2];
        String[] names = {"runtime", "impl"};
        for (int i = 0; i < 2; i++) {
            Path f = dir.resolve(names[i] + ".json");
            Files.writeString(f, "[" + result("OpBenchmark.run", p + "\"" + names[i] + "\": \"native\"", 10, "1", "us/op") + ","
                    + result("OpBenchmark.run", p + "\"" + names[i] + "\": \"onnxruntime\"", 15, "1", "us/op") + "]");
            md[i] = Render.markdown(Render.read(f), new Render.Info("T", "d", "m", "c", "run.sh"), Map.of());
        }
        assertTrue(md[0].contains("| `conv:n1_g1_ic64oc32_ih28iw28_kh1kw1_sh1sw1_ph0pw0` | 10.0 ± 1.0 |") && md[0].contains("1.50x"), md[0]);
        assertEquals(md[0], md[1]);
    }

    @Test
    void mainWritesTheReportNextToItsCharts(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("r.json");
        Files.writeString(f, "[" + result("OpBenchmark.run", "\"problem\": \"conv:n1_g1_ic64oc32_ih28iw28_kh1kw1_sh1sw1_ph0pw0\", "
                + "\"runtime\": \"native\"", 10, "1", "us/op") + "," + result("OpBenchmark.run",
                "\"problem\": \"conv:n1_g1_ic64oc32_ih28iw28_kh1kw1_sh1sw1_ph0pw0\", \"runtime\": \"onnxruntime\"", 12, "1", "us/op") + "]");
        Render.main(new String[] {"--out", dir.resolve("out/report").toString(), "--commit", "c0ffee", f.toString()});
        String md = Files.readString(dir.resolve("out/report.md"), StandardCharsets.UTF_8);
        assertTrue(md.contains("![OpBenchmark](report-opbenchmark.png)") && md.contains("1.20x"), md);
        assertTrue(Files.size(dir.resolve("out/report-opbenchmark.png")) > 1000);
    }
}
