package org.sepnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CommandLineTest {
    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = new CommandLine(new Main()).execute(args);
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
    void demoChecksEveryAvailableBackend() {
        Run r = run("demo", "--batch", "2", "--channels", "12", "--size", "9", "--groups", "2", "--seconds", "0.05");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("n2_g2_ic12oc12_ih9iw9_kh3kw3_sh1sw1_ph1pw1_prb_pwg1"), r.out());
        assertTrue(r.out().contains("reference") && r.out().contains(" ok"), r.out());
    }

    @Test
    void demoRejectsBadArgumentsWithAMessage() {
        Run r = run("demo", "--kernel", "4");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("padding"), r.err());
        r = run("demo", "--backend", "tpu");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown backend 'tpu'"), r.err());
    }
}
