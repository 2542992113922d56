package org.sepnet.cli;

import java.io.IOException;
import org.sepnet.models.Model;
import org.sepnet.tensor.Shape;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The model argument of the file commands: a model file or a zoo model, with the zoo model's seed. */
final class ModelSource {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A model file (.sepnet, .caffemodel, .onnx) or a zoo model.")
    String name;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of a zoo model's random weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--classes", paramLabel = "N", description = "Classes of a zoo model's classifier (the CIFAR ResNets and sepnet-cifar).")
    int classes;

    /** Loads the model; {@code input} overrides its input shape (null: its own). */
    Model load(Shape input) throws IOException {
        return Sources.load(name, input, classes, seed);
    }
}
