package org.sepnet.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sepnet.train.TrainOptions;
import picocli.CommandLine.Option;

/** The options {@code train} and {@code refine} share; unset ones take the command's defaults. */
final class TrainingOptions {
    @Option(names = "--data", required = true, paramLabel = "D",
            description = "fashion-mnist (Debian's dataset-fashion-mnist package), or a directory of IDX files, CIFAR-10 binary batches or .npy image/label pairs.")
    String data;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.sepnet", description = "The trained model to write.")
    String out;

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training images.")
    Integer epochs;

    @Option(names = "--batch", paramLabel = "B", description = "Images per step (default: 128).")
    Integer batch;

    @Option(names = "--lr", paramLabel = "X", description = "Base learning rate.")
    Double lr;

    @Option(names = "--schedule", paramLabel = "cosine|step|constant",
            description = "Learning-rate schedule: cosine to zero, or ÷10 after 1/2 and 3/4 of the epochs (default: cosine).")
    String schedule;

    @Option(names = "--warmup", paramLabel = "N", description = "Epochs of linear warm-up (default: 0).")
    Integer warmup;

    @Option(names = "--momentum", paramLabel = "X", description = "SGD momentum (default: 0.9).")
    Double momentum;

    @Option(names = "--weight-decay", paramLabel = "X", description = "Weight decay of convolution and fully connected weights.")
    Double weightDecay;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of shuffling, augmentation and a zoo model's initial weights (default: 1).")
    Long seed;

    @Option(names = "--pad", paramLabel = "N", description = "Random crops of the image padded by N pixels (default: 2; 0: none).")
    Integer pad;

    @Option(names = "--no-flip", description = "No random horizontal flips.")
    boolean noFlip;

    @Option(names = "--freeze", split = ",", paramLabel = "GLOB", description = "Keep these layers (or layer/kind parameters) as they are.")
    List<String> freeze = new ArrayList<>();

    @Option(names = "--limit", paramLabel = "N", description = "Use only the first N images of each split.")
    Integer limit;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "Where to keep the checkpoint (default: OUT with .ckpt for .sepnet).")
    String checkpoint;

    @Option(names = "--resume", description = "Continue from the checkpoint, with the options stored in it.")
    boolean resume;

    /** The defaults with what was given on the command line. */
    TrainOptions options(TrainOptions defaults) {
        TrainOptions o = defaults;
        if (epochs != null) {
            o = o.withEpochs(epochs);
        }
        if (batch != null) {
            o = o.withBatch(batch);
        }
        o = o.withLearningRate(lr != null ? lr : o.learningRate(), schedule != null ? schedule : o.schedule(),
                warmup != null ? warmup : o.warmup());
        o = o.withRegularization(momentum != null ? momentum : o.momentum(), weightDecay != null ? weightDecay : o.weightDecay());
        o = o.withAugmentation(seed != null ? seed : o.seed(), pad != null ? pad : o.pad(), !noFlip && o.flip());
        return o.withFreeze(freeze);
    }

    long seed() {
        return seed == null ? 1 : seed;
    }

    Path checkpointPath() {
        if (checkpoint != null) {
            return Path.of(checkpoint);
        }
        return Path.of(out.replaceAll("\\.sepnet$", "") + ".ckpt");
    }

    int limit() {
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit " + limit + "; expected at least 1");
        }
        return limit == null ? 0 : limit;
    }
}
