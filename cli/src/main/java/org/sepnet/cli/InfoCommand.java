package org.sepnet.cli;

import java.util.concurrent.Callable;
import org.sepnet.backend.Availability;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.backend.BuildInfo;
import org.sepnet.backend.cpu.NativeBackend;
import picocli.CommandLine.Command;

/** {@code sepnet info}: backends, availability and reasons, devices, and what the build included. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "List the backends in rank order with their availability (and why not), the one chosen, and what this build contains.")
final class InfoCommand implements Callable<Integer> {
    @picocli.CommandLine.Option(names = "--peak",
            description = "Also measure the native backend's peak multiply-add throughput (about 1 s).")
    boolean peak;

    @Override
    public Integer call() {
        System.out.println("sepnet " + Main.version() + " on Java " + Runtime.version() + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        System.out.println();
        Table t = new Table("backend", "status", "details");
        for (Backend b : Backends.all()) {
            Availability a = b.availability();
            t.row(b.name(), a.available() ? "available" : "unavailable", a.detail());
        }
        t.print(System.out);
        System.out.println();
        try {
            Backends.Selection s = Backends.select();
            System.out.println("chosen: " + s.backend().name() + " (" + s.reason() + ")");
        } catch (RuntimeException e) {
            System.out.println("chosen: none: " + e.getMessage());
            return 1;
        }
        System.out.println("force one with -D" + Backends.PROPERTY + "=NAME (" + String.join(", ", Backends.names())
                + "), e.g. SEPNET_JAVA_OPTS=-D" + Backends.PROPERTY + "=reference ./sepnet demo");
        System.out.println();
        System.out.println("build: CUDA fatbin " + describe("cuda", "nvcc " + BuildInfo.get("cuda.nvcc", "?") + ", SASS sm_"
                + BuildInfo.get("cuda.sass", "?").replace(";", "/") + ", PTX compute_" + BuildInfo.get("cuda.ptx", "?")));
        System.out.println("       native library " + describe("native", BuildInfo.get("native.compiler", "?")));
        NativeBackend nb = NativeBackend.instance();
        String ranking = NativeBackend.convolutionRanking();
        if (!ranking.isEmpty()) {
            System.out.println();
            System.out.println("native convolutions: the first implementation that runs a problem and whose rule holds");
            System.out.println("(-Dsepnet.native.pattern=xor|lookup|gemm|winograd forces an algorithm; each op's reason is in `sepnet profile`):");
            ranking.lines().forEach(l -> System.out.println("  " + l));
        }
        if (peak && nb.availability().available()) {
            System.out.printf("native peak: %.1f GFLOP/s (%s, %d threads, multiply-add throughput measured over 1 s)%n",
                    nb.measurePeakGflops(1000), nb.instructionSet(), nb.threads());
        }
        return 0;
    }

    private static String describe(String prefix, String whenBuilt) {
        String key = prefix.equals("cuda") ? "cuda.fatbin" : "native.library";
        return BuildInfo.built(key) ? "built (" + whenBuilt + ")" : "not built: " + BuildInfo.skipReason(prefix);
    }
}
