package org.sepnet.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.sepnet.models.Model;

/**
 * Trained models that ship inside the library jar, by name: {@code resnet20-fmnist-bq} (ResNet-20
 * trained on Fashion-MNIST, pattern-binarized, refined with the signs frozen and stored as int8:
 * docs/refine.md has the commands that made it and its accuracy). Each stores its normalization and
 * class names, so it classifies 28×28 grayscale images as they come.
 */
public final class Pretrained {
    private static final List<String> NAMES = List.of("resnet20-fmnist-bq");
    private static final List<String> DESCRIPTIONS = List.of("ResNet-20 trained on Fashion-MNIST, pattern-binarized (first convolution "
            + "and shortcuts float), refined with the signs frozen, int8 (docs/refine.md)");

    private Pretrained() {}

    /** The names of the shipped models. */
    public static List<String> names() {
        return NAMES;
    }

    /**
     * The shipped model {@code name}.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     * @throws IOException when the jar's copy cannot be read (a damaged jar)
     */
    public static Model load(String name) throws IOException {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown trained model '" + name + "'; expected one of " + String.join(", ", NAMES));
        }
        String resource = "pretrained/" + name + ".sepnet";
        try (InputStream in = Pretrained.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("the library jar lacks " + resource + ": rebuild it");
            }
            Model m = ModelFile.decode(in.readAllBytes(), name);
            return new Model(name, DESCRIPTIONS.get(NAMES.indexOf(name)), m.graph(), m.input(), m.normalization(), m.labels());
        }
    }
}
