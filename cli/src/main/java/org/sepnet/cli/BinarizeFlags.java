package org.sepnet.cli;

import java.util.ArrayList;
import java.util.List;
import org.sepnet.layers.Transforms;
import org.sepnet.pattern.Alpha;
import picocli.CommandLine.Option;

/** What {@code binarize} and {@code refine} binarize: α, the layers kept float, the kernel sizes. */
final class BinarizeFlags {
    @Option(names = "--alpha", defaultValue = "per-filter", paramLabel = "per-filter|global:X",
            description = "α of the binarized filters: the mean |w| of each filter, or one value X for all (default: ${DEFAULT-VALUE}).")
    String alpha;

    @Option(names = "--keep-first", description = "Keep the first k×k convolution float.")
    boolean keepFirst;

    @Option(names = "--keep-shortcuts", description = "Keep convolutions in residual shortcuts (projections) float.")
    boolean keepShortcuts;

    @Option(names = "--keep", split = ",", paramLabel = "NAME", description = "Keep these layers (and layers inside them) float.")
    List<String> keep = new ArrayList<>();

    @Option(names = "--kernels", split = ",", paramLabel = "K", description = "Only binarize kernels of these sizes, e.g. 3 or 3,5.")
    List<Integer> kernels = new ArrayList<>();

    Transforms.BinarizeOptions options() {
        return new Transforms.BinarizeOptions(Alpha.parse(alpha), keepFirst, keepShortcuts, java.util.Set.copyOf(keep),
                java.util.Set.copyOf(kernels));
    }
}
