package org.sepnet.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Trained models kept outside the repository, in the directory named by {@code -Dsepnet.fixtures}
 * (the build sets it to {@code ../shared/fixtures} beside the checkout). A test needing one is
 * skipped, saying where it looked, when that directory does not exist; a fixture with other bytes
 * than expected fails the test.
 */
public final class Fixtures {
    /** The SEP-Nets authors' trained CIFAR-10 ResNet-20 (Caffe). */
    public static final String RESNET20_CAFFE = "resnet20_cifar10_authors.caffemodel";
    private static final String RESNET20_SHA256 = "c5610a36d203cdb314ea062b799c9ceac6b50f43925b120c309ce04422c96eb1";

    private Fixtures() {}

    /** The path of fixture {@code name}, its SHA-256 checked; skips the test when fixtures are not available. */
    public static Path path(String name) {
        String dir = System.getProperty("sepnet.fixtures", "../../shared/fixtures");
        Path d = Path.of(dir).toAbsolutePath().normalize();
        assumeTrue(Files.isDirectory(d), "fixtures directory " + d + " not found; set -Dsepnet.fixtures=DIR to run this test");
        Path f = d.resolve(name);
        assumeTrue(Files.isRegularFile(f), "fixture " + f + " not found");
        if (name.equals(RESNET20_CAFFE)) {
            assertEquals(RESNET20_SHA256, sha256(f), f + " is not the expected file");
        }
        return f;
    }

    private static String sha256(Path f) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
