package org.sepnet.train;

import java.util.List;
import org.sepnet.runtime.Schedule;

/**
 * How a {@link Trainer} runs.
 *
 * @param epochs passes over the training images, warm-up included
 * @param batch images per step
 * @param learningRate the base rate η
 * @param schedule {@code cosine} (to zero by step), {@code step} (÷10 after half and after three
 *                 quarters of the epochs, the authors' policy) or {@code constant}
 * @param warmup epochs of linear warm-up before the schedule
 * @param momentum SGD momentum μ
 * @param weightDecay λ on convolution, 1×1 and fully connected weights ({@link org.sepnet.runtime.Sgd#decays})
 * @param seed shuffling and augmentation of every epoch
 * @param pad random-crop padding in pixels (0: no crop)
 * @param flip random horizontal flips
 * @param freeze globs of layers (or {@code layer/kind} parameters) kept as they are
 */
public record TrainOptions(int epochs, int batch, double learningRate, String schedule, int warmup, double momentum, double weightDecay,
                           long seed, int pad, boolean flip, List<String> freeze) {
    public TrainOptions {
        freeze = List.copyOf(freeze);
        if (epochs < 1 || epochs > 100_000) {
            throw new IllegalArgumentException("epochs " + epochs + "; expected 1 to 100000");
        }
        if (batch < 1 || batch > 4096) {
            throw new IllegalArgumentException("batch " + batch + "; expected 1 to 4096");
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate " + learningRate + "; expected a finite value above 0");
        }
        if (!List.of("cosine", "step", "constant").contains(schedule)) {
            throw new IllegalArgumentException("schedule " + schedule + "; expected cosine, step or constant");
        }
        if (warmup < 0 || warmup >= epochs) {
            throw new IllegalArgumentException("warm-up of " + warmup + " epochs; expected 0 to " + (epochs - 1) + " (fewer than the epochs)");
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum " + momentum + "; expected at least 0 and below 1");
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay " + weightDecay + "; expected a finite value of at least 0");
        }
        if (pad < 0 || pad > 64) {
            throw new IllegalArgumentException("crop padding " + pad + "; expected 0 to 64 pixels");
        }
    }

    /** Training from scratch: cosine from 0.1 over {@code epochs}, batch 128, μ 0.9, λ 5e-4, crop padding 2, flips. */
    public static TrainOptions training(int epochs) {
        return new TrainOptions(epochs, 128, 0.1, "cosine", 0, 0.9, 5e-4, 1, 2, true, List.of());
    }

    /** Refining a binarized network: as {@link #training} from 0.01 with λ 1e-4 (the authors' fine-tune rate and decay). */
    public static TrainOptions refining(int epochs) {
        return new TrainOptions(epochs, 128, 0.01, "cosine", 0, 0.9, 1e-4, 1, 2, true, List.of());
    }

    public TrainOptions withEpochs(int e) {
        return new TrainOptions(e, batch, learningRate, schedule, warmup, momentum, weightDecay, seed, pad, flip, freeze);
    }

    public TrainOptions withBatch(int b) {
        return new TrainOptions(epochs, b, learningRate, schedule, warmup, momentum, weightDecay, seed, pad, flip, freeze);
    }

    public TrainOptions withLearningRate(double lr, String newSchedule, int newWarmup) {
        return new TrainOptions(epochs, batch, lr, newSchedule, newWarmup, momentum, weightDecay, seed, pad, flip, freeze);
    }

    public TrainOptions withRegularization(double newMomentum, double newWeightDecay) {
        return new TrainOptions(epochs, batch, learningRate, schedule, warmup, newMomentum, newWeightDecay, seed, pad, flip, freeze);
    }

    public TrainOptions withAugmentation(long newSeed, int newPad, boolean newFlip) {
        return new TrainOptions(epochs, batch, learningRate, schedule, warmup, momentum, weightDecay, newSeed, newPad, newFlip, freeze);
    }

    public TrainOptions withFreeze(List<String> globs) {
        return new TrainOptions(epochs, batch, learningRate, schedule, warmup, momentum, weightDecay, seed, pad, flip, globs);
    }

    /** The learning-rate schedule these options describe. */
    public Schedule rates() {
        int main = epochs - warmup;
        Schedule s = switch (schedule) {
            case "cosine" -> Schedule.cosine(learningRate, main);
            case "step" -> (e, st, n) -> learningRate * (2 * e >= main ? 4 * e >= 3 * main ? 0.01 : 0.1 : 1);
            default -> Schedule.constant(learningRate);
        };
        return s.afterWarmup(warmup);
    }

    /** The shuffling and augmentation seed of epoch {@code e}: distinct for every (seed, epoch) pair. */
    long epochSeed(int e) {
        return seed * 0x9E3779B97F4A7C15L + e;
    }
}
