package org.sepnet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package map of the library, checked on its sources: each package imports only the packages
 * below it (layers and models never name a backend; only runtime joins the two).
 */
class PackageLayeringTest {
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "tensor", Set.of(),
            "data", Set.of("tensor"),
            "pattern", Set.of("tensor"),
            "ops", Set.of("tensor", "pattern"),
            "layers", Set.of("tensor", "pattern", "ops"),
            "models", Set.of("tensor", "data", "pattern", "ops", "layers"),
            "backend", Set.of("tensor", "pattern", "ops"),
            "runtime", Set.of("tensor", "pattern", "ops", "layers", "backend"),
            "train", Set.of("tensor", "data", "pattern", "ops", "layers", "models", "backend", "runtime", "io"),
            "predict", Set.of("tensor", "data", "pattern", "ops", "layers", "models", "backend", "runtime", "io"));

    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?org\\.sepnet\\.(\\w+)", Pattern.MULTILINE);

    @Test
    void packagesImportOnlyWhatIsBelowThem() throws IOException {
        Path root = Path.of("src/main/java/org/sepnet");
        List<String> wrong = new ArrayList<>();
        for (var e : ALLOWED.entrySet()) {
            try (Stream<Path> files = Files.walk(root.resolve(e.getKey()))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = IMPORT.matcher(Files.readString(f));
                    while (m.find()) {
                        String to = m.group(1);
                        if (!to.equals(e.getKey()) && !e.getValue().contains(to)) {
                            wrong.add(root.relativize(f) + " imports org.sepnet." + to);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), wrong, "imports against the package map (see org/sepnet/package-info.java)");
    }
}
