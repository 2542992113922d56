package org.sepnet.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.pattern.Alpha;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The model arguments shared by commands: a zoo name and the binarize/quantize variants. */
final class ModelOptions {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A zoo model or trained model (listed below) or a model file "
            + "(.sepnet, .caffemodel, .onnx).", completionCandidates = ZooNames.class)
    String model;

    @Option(names = "--input", paramLabel = "CxHxW", description = "Input size, e.g. 3x224x224 or 1x28x28: needed by model files that do not "
            + "fix it; the CIFAR ResNets and sepnet-cifar take any channel count and size.")
    String input;

    @Option(names = "--classes", paramLabel = "N", description = "Classes of a zoo model's classifier (the CIFAR ResNets and sepnet-cifar).")
    int classes;

    @Option(names = "--binarize", description = "Pattern-binarize the k×k convolutions (the authors' setting for the model: "
            + "first conv kept float; CIFAR ResNets keep their projection shortcuts; GoogLeNet its first inception module; "
            + "a model file keeps its first convolution and its shortcuts).")
    boolean binarize;

    @Option(names = "--alpha", defaultValue = "per-filter", paramLabel = "per-filter|global:X",
            description = "α of binarized filters (default: ${DEFAULT-VALUE}).")
    String alpha;

    @Option(names = "--binarize-all", description = "Binarize every k×k convolution, the first and the shortcuts too.")
    boolean binarizeAll;

    @Option(names = "--binarize-kernels", split = ",", paramLabel = "K", description = "Only binarize k×k kernels of these sizes, e.g. 3 or 3,5.")
    List<Integer> kernels = new ArrayList<>();

    @Option(names = "--quantize8", description = "Store the remaining float weights as per-channel symmetric int8 (batch norm folded first): the BQ variant.")
    boolean quantize8;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
    long seed;

    /** Builds the model with the requested variants. */
    Model build() throws IOException {
        Model m = Sources.load(model, Sources.shape(input), classes, seed);
        if (binarize || binarizeAll || !kernels.isEmpty()) {
            Transforms.BinarizeOptions o = binarizeAll ? Transforms.BinarizeOptions.all()
                    : Sources.isFile(model) ? Transforms.BinarizeOptions.authors() : Zoo.authorsBinarization(model);
            o = o.withAlpha(Alpha.parse(alpha));
            if (!kernels.isEmpty()) {
                o = o.onlyKernels(kernels.toArray(Integer[]::new));
            }
            m = m.with(Transforms.binarize(m.graph(), o), "+binarized" + (kernels.isEmpty() ? "" : kernels.toString().replace(" ", "")));
        }
        if (quantize8) {
            m = m.with(Transforms.quantize8(m.graph()), "+int8");
        }
        return m;
    }

    /** Completion candidates and help text for model names. */
    static final class ZooNames extends ArrayList<String> {
        ZooNames() {
            super(Zoo.names());
        }
    }
}
