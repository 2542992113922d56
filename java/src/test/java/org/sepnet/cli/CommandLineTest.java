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
        Run r = run("demo", "--model", "resnet20", "--batch", "4", "--seconds", "0.05");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("resnet20+binarized") && r.out().contains("55,376 parameters"), r.out());
        assertTrue(r.out().contains("reference") && r.out().contains(" ok"), r.out());
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
}
