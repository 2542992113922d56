package org.sepnet.bench;

import java.util.Locale;
import org.sepnet.backend.cpu.NativeBackend;

/**
 * Prints the native backend's multiply-add peak in GFLOP/s (its instruction set's vector fused
 * multiply-adds on all its threads, about one second), the denominator of the benchmark report's
 * "share of peak" figures; the details go to standard error. Exits with 1 where the native library
 * cannot load.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.sepnet.bench.Peak
 * </pre>
 */
public final class Peak {
    private Peak() {}

    public static void main(String[] args) {
        NativeBackend nb = NativeBackend.instance();
        if (!nb.availability().available()) {
            System.err.println("Peak: the native backend is unavailable: " + nb.availability().detail());
            System.exit(1);
        }
        double gflops = nb.measurePeakGflops(1000);
        System.err.printf(Locale.ROOT, "Peak: %.1f GFLOP/s (%s, %d threads, multiply-add throughput over 1 s)%n", gflops,
                nb.instructionSet(), nb.threads());
        System.out.printf(Locale.ROOT, "%.1f%n", gflops);
    }
}
