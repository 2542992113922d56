package org.sepnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.cli.CommandLineTest.Run;
import org.sepnet.io.ModelFile;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Linear;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Sequential;
import org.sepnet.models.Model;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;

class GradcheckCommandTest {
    @TempDir
    Path dir;

    private Path tinyModel() throws IOException {
        Sequential net = new Sequential("tiny", List.of(
                new Conv2d("c1", ConvSpec.same(3, 6, 3, 1, 1), ConvWeights.random(6, 3, 3, 3, true, 1)), new Relu("r1"),
                new Conv2d("c2", ConvSpec.same(6, 6, 3, 2, 2), ConvWeights.random(6, 3, 3, 3, false, 2)), new Relu("r2"),
                Pool2d.globalAvg("gap"), new Linear("fc", ConvWeights.random(5, 6, 1, 1, true, 3))));
        Path p = dir.resolve("tiny.sepnet");
        ModelFile.write(new Model("tiny", "gradcheck test", net, Shape.of(3, 7, 7)), p);
        return p;
    }

    @Test
    void everyArrayAgreesWithFiniteDifferencesAsJson() throws IOException {
        Run r = CommandLineTest.run("gradcheck", tinyModel().toString(), "--binarize-all", "--batch", "3", "--samples", "4", "--json");
        assertEquals(0, r.code(), r.out() + r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("tiny+binarized", o.get("model").getAsString());
        assertTrue(o.get("ok").getAsBoolean());
        // input, c1 alpha + bias, c2 alpha, fc weights + bias (pattern signs are not checked: they never train)
        assertEquals(6, o.getAsJsonArray("checks").size(), r.out());
        JsonObject alpha = o.getAsJsonArray("checks").get(1).getAsJsonObject();
        assertTrue(alpha.get("max_err").getAsDouble() <= alpha.get("bound").getAsDouble(), r.out());
    }

    @Test
    void aTableByDefault() throws IOException {
        Run r = CommandLineTest.run("gradcheck", tinyModel().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("all 6 gradients agree"), r.out());
    }

    /** On the native backend: every array against the reference (6 rows) and the reference against differences (6 rows). */
    @Test
    void theNativeBackendAgainstTheReference() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.sepnet.backend.cpu.NativeBackend.instance().availability().available());
        Run r = CommandLineTest.run("gradcheck", tinyModel().toString(), "--binarize-all", "--backend", "native", "--json");
        assertEquals(0, r.code(), r.out() + r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("native", o.get("backend").getAsString());
        assertEquals(12, o.getAsJsonArray("checks").size(), r.out());
        long againstReference = 0;
        for (var c : o.getAsJsonArray("checks")) {
            JsonObject row = c.getAsJsonObject();
            assertTrue(row.get("ok").getAsBoolean(), r.out());
            againstReference += row.get("against").getAsString().equals("reference") ? 1 : 0;
        }
        assertEquals(6, againstReference, r.out());
        Run bad = CommandLineTest.run("gradcheck", tinyModel().toString(), "--backend", "nosuch");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("nosuch"), bad.err());
    }
}
