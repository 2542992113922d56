package org.sepnet.testing;

/**
 * Seeds for randomized tests. One base seed per test JVM: {@code -Dsepnet.test.seed=N} replays a
 * run, otherwise it is drawn from the clock. Each case derives its own seed from the base and its
 * name, and every failure message carries {@link #replay(String)}.
 */
public final class Seeds {
    private static final long BASE = initBase();

    private Seeds() {}

    private static long initBase() {
        String p = System.getProperty("sepnet.test.seed", "");
        long base = p.isBlank() ? System.nanoTime() ^ 0x5DEECE66DL : Long.parseLong(p.strip());
        System.out.println("sepnet tests: base seed " + base + " (replay with -Dsepnet.test.seed=" + base + ")");
        return base;
    }

    /** The base seed of this run. */
    public static long base() {
        return BASE;
    }

    /** The seed of case {@code name}. */
    public static long of(String name) {
        long h = 1125899906842597L;
        for (int i = 0; i < name.length(); i++) {
            h = 31 * h + name.charAt(i);
        }
        return BASE ^ h * 0x9E3779B97F4A7C15L;
    }

    /** Text for failure messages: the case and how to replay it. */
    public static String replay(String name) {
        return "[case " + name + ", seed " + of(name) + "; replay with -Dsepnet.test.seed=" + BASE + "]";
    }
}
