package org.sepnet.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Keeps the docs' Java examples true: a test runs an example, and its lines between
 * {@code // --- marker ---} and {@code // --- end ---} must stand, in order, in the document (spaces
 * collapsed; lines ending in {@code // (test)} are the test's own; paths into a temporary directory,
 * {@code dir.resolve(…)}, read as {@code Path.of(…)} there).
 */
public final class DocExamples {
    private DocExamples() {}

    /** Throws unless the lines of {@code source} after {@code // --- marker ---} up to the end marker stand, in order, in {@code doc}. */
    public static void assertInDocument(Path source, String marker, Path doc) throws IOException {
        List<String> lines = Files.readAllLines(source);
        int start = lines.stream().map(String::strip).toList().indexOf("// --- " + marker + " ---");
        assertTrue(start >= 0, "no marker " + marker + " in " + source);
        String text = Files.readString(doc).replace("java.nio.file.Path.of(", "Path.of(").replaceAll("[ \t]+", " ");
        int at = 0;
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.strip().equals("// --- end ---")) {
                return;
            }
            if (line.endsWith("// (test)")) {
                continue;
            }
            String want = line.strip().replace("dir.resolve(", "Path.of(").replace("xFile", "Path.of(\"x.npy\")").replaceAll("[ \t]+", " ");
            int found = text.indexOf(want, at);
            assertTrue(found >= 0, doc + " lacks, after what matched before, the example line: " + want);
            at = found + want.length();
        }
        throw new AssertionError("no end marker after " + marker + " in " + source);
    }
}
