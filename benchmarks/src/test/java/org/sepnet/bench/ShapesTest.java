package org.sepnet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed shapes files are what the zoo gives today, and every line is a valid case. */
class ShapesTest {
    static final Path DIR = Path.of("shapes");

    @Test
    void committedFilesMatchTheZoo() throws IOException {
        for (Shapes.Source src : Shapes.SOURCES) {
            Path f = DIR.resolve(src.file());
            assertTrue(Files.isRegularFile(f), f + " is missing; regenerate with Shapes generate benchmarks/shapes");
            assertEquals(Shapes.generate(src), Files.readString(f, StandardCharsets.UTF_8),
                    f + " is stale; regenerate with: java -cp benchmarks/target/benchmarks.jar org.sepnet.bench.Shapes generate benchmarks/shapes");
        }
    }

    @Test
    void everyLineParsesWithBatchOneAndThirtyTwo() throws IOException {
        for (Shapes.Source src : Shapes.SOURCES) {
            List<Case> cases = Shapes.read(DIR.resolve(src.file()));
            assertTrue(cases.stream().anyMatch(c -> c.batch() == 1) && cases.stream().anyMatch(c -> c.batch() == 32), src.file());
            for (Case c : cases) {
                assertEquals(c.toString(), Case.parse(c.toString()).toString());
                assertTrue(c.macs() > 0, c.toString());
            }
        }
        // ResNet-20: 3->16, 16->16 at 32x32, 16->32 stride 2, 32->32 at 16x16, 32->64 stride 2, 64->64 at 8x8, at both batches.
        assertEquals(12, Shapes.read(DIR.resolve("resnet20.txt")).size());
        List<Case> sep = Shapes.read(DIR.resolve("sepnet.txt"));
        assertTrue(sep.stream().anyMatch(c -> c.op().equals("prb")) && sep.stream().anyMatch(c -> c.op().equals("conv")));
    }

    @Test
    void badLinesNameTheFileAndLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.txt");
        Files.writeString(f, "# comment\n\npattern:n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1\nwinograd:n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1\n");
        IOException e = assertThrows(IOException.class, () -> Shapes.read(f));
        assertTrue(e.getMessage().contains("bad.txt line 4") && e.getMessage().contains("expected pattern, conv or prb"), e.getMessage());
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> Case.parse("prb:n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1"));
        assertTrue(a.getMessage().contains("_prb_pwg"), a.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Case.parse("n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1"));
    }
}
