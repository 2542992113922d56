package org.sepnet.backend;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * What the build put into this jar, from {@code org/sepnet/build-info.properties} (written by
 * CMake): whether the CUDA fatbin and the native library were built, and if not, why.
 */
public final class BuildInfo {
    private static final Properties PROPS = load();

    private BuildInfo() {}

    /** A build property, or {@code fallback} when absent. */
    public static String get(String key, String fallback) {
        return PROPS.getProperty(key, fallback);
    }

    /** Whether {@code product} ({@code cuda.fatbin} or {@code native.library}) was built. */
    public static boolean built(String product) {
        return "built".equals(PROPS.getProperty(product));
    }

    /** Why {@code prefix} ({@code cuda} or {@code native}) was not built. */
    public static String skipReason(String prefix) {
        if (PROPS.isEmpty()) {
            return "this jar has no build-info.properties (it was not built by the project's Maven/CMake build)";
        }
        return PROPS.getProperty(prefix + ".reason", "it was not built");
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/org/sepnet/build-info.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // An unreadable file reads as "not built", with the reason given by skipReason.
        }
        return p;
    }
}
