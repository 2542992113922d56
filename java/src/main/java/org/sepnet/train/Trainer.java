package org.sepnet.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.sepnet.backend.Backend;
import org.sepnet.data.Batches;
import org.sepnet.data.Evaluation;
import org.sepnet.data.ImageSet;
import org.sepnet.data.Normalization;
import org.sepnet.models.Model;
import org.sepnet.runtime.Schedule;
import org.sepnet.runtime.Sgd;
import org.sepnet.runtime.TrainingGraph;

/**
 * Trains a model on labeled images: epochs of shuffled, augmented batches, SGD with momentum and
 * weight decay on every trainable parameter (pattern signs are always frozen, so a binarized model
 * is refined), the test accuracy after every epoch, and a {@link Checkpoint} after every epoch and
 * when {@link #requestStop()} is called. The same seed, options, backend and thread count give the
 * same model, whether or not the run was stopped and resumed on the way.
 *
 * <p>The images are normalized with the model's stored normalization, or, for a model that has
 * none, with the training split's statistics, which the trained model then stores.
 */
public final class Trainer {
    /** One finished epoch: mean training loss and accuracy (in training mode, as the steps saw them), test accuracy. */
    public record Epoch(int epoch, double loss, double trainAccuracy, double testAccuracy, double seconds, double learningRate) {}

    /** What a run gives: the trained model, every epoch so far, and whether it stopped early on request. */
    public record Result(Model model, List<Epoch> history, boolean stopped) {}

    /** Progress reports, on the training thread. */
    public interface Listener {
        default void epochStarted(int epoch, int epochs, int steps) {}

        /** After step {@code step} (from 0) of the epoch: running means over the epoch so far. */
        default void stepDone(int step, long images, double loss, double accuracy) {}

        default void epochFinished(Epoch epoch, int epochs) {}
    }

    /** Thrown when the loss stops being a number: the run cannot go on. */
    public static final class DivergedException extends IOException {
        DivergedException(String message) {
            super(message);
        }
    }

    private final Model start;
    private final ImageSet train;
    private final ImageSet test;
    private final Backend backend;
    private final TrainOptions options;
    private final List<String> labels;
    private final String data;
    private final String kind;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopRequested;

    /**
     * @param kind what the run is ({@code train} or {@code refine}), kept in checkpoints
     * @param data the data set's name, kept in checkpoints
     * @param test images for the accuracy after each epoch, or null for none
     * @param labels the class names the trained model stores (empty: none)
     * @throws IllegalArgumentException when the model does not take the images or has another class count
     */
    public Trainer(String kind, Model model, String data, ImageSet train, ImageSet test, List<String> labels, Backend backend,
                   TrainOptions options) {
        if (!model.input().equals(train.imageShape())) {
            throw new IllegalArgumentException("model " + model.name() + " takes " + model.input() + " images; the data's are "
                    + train.imageShape());
        }
        long classes = model.graph().outputShape(model.input()).size();
        if (classes != train.classes()) {
            throw new IllegalArgumentException("model " + model.name() + " has " + classes + " outputs; the data has " + train.classes()
                    + " classes");
        }
        if (test != null && (!test.imageShape().equals(train.imageShape()) || test.classes() != train.classes())) {
            throw new IllegalArgumentException("the test images are " + test.imageShape() + " in " + test.classes() + " classes; the training "
                    + "images " + train.imageShape() + " in " + train.classes());
        }
        if (!labels.isEmpty() && labels.size() != classes) {
            throw new IllegalArgumentException(labels.size() + " class names for " + classes + " classes");
        }
        this.kind = kind;
        this.start = model;
        this.data = data;
        this.train = train;
        this.test = test;
        this.labels = labels;
        this.backend = backend;
        this.options = options;
    }

    /**
     * Asks a running {@link #run} to write a checkpoint after its current step and return; from any
     * thread (a shutdown hook). Returns once it has, or after {@code waitSeconds}.
     */
    public boolean requestStop(long waitSeconds) throws InterruptedException {
        stopRequested = true;
        return finished.await(waitSeconds, TimeUnit.SECONDS);
    }

    /**
     * Runs the remaining epochs.
     *
     * @param checkpoint written after every epoch and on a stop request (atomically); null: none
     * @param resume a checkpoint to continue from (its model replaces this trainer's), or null
     * @throws DivergedException when the loss becomes NaN or infinite; the last checkpoint is kept
     */
    public Result run(Path checkpoint, Checkpoint resume, Listener listener) throws IOException {
        try {
            return runEpochs(checkpoint, resume, listener);
        } finally {
            finished.countDown();
        }
    }

    private static DivergedException diverged(String what, int epoch, int step, double rate, Path checkpoint) {
        return new DivergedException(what + " at epoch " + (epoch + 1) + ", step " + (step + 1) + " (learning rate " + rate
                + "); try a lower --lr" + (checkpoint == null ? "" : "; the last good checkpoint, " + checkpoint + ", is kept"));
    }

    /** The first trainable parameter holding a value that is not finite, or null. */
    private static String nonFinite(TrainingGraph g) {
        for (org.sepnet.runtime.Parameter p : g.parameters()) {
            if (p.trainable()) {
                for (double v : p.value()) {
                    if (!Double.isFinite(v)) {
                        return p.name();
                    }
                }
            }
        }
        return null;
    }

    private Result runEpochs(Path checkpoint, Checkpoint resume, Listener listener) throws IOException {
        Model model = resume != null ? resume.model() : start;
        Normalization norm = model.normalization() != null ? model.normalization() : train.statistics();
        model = model.withData(norm, labels.isEmpty() ? model.labels() : labels);
        int epoch = resume == null ? 0 : resume.state().epoch();
        int skip = resume == null ? 0 : resume.state().step();
        List<Epoch> history = new ArrayList<>(resume == null ? List.of() : resume.state().history());
        Schedule rates = options.rates();
        int imageSize = (int) train.imageShape().size();
        int classes = train.classes();
        try (TrainingGraph g = TrainingGraph.build(model.graph(), model.input(), backend, options.batch())) {
            g.setInputGradient(false);
            for (String glob : options.freeze()) {
                if (g.freeze(glob) == 0) {
                    throw new IllegalArgumentException("--freeze " + glob + " matches no trainable parameter");
                }
            }
            Sgd sgd = new Sgd(g.parameters(), options.momentum(), options.weightDecay());
            if (resume != null) {
                resume.restore(g, sgd);
            }
            double[] x = new double[options.batch() * imageSize];
            float[] scores = new float[options.batch() * classes];
            for (; epoch < options.epochs(); epoch++, skip = 0) {
                long t0 = System.nanoTime();
                boolean partial = resume != null && epoch == resume.state().epoch() && skip > 0;
                double lossSum = partial ? resume.state().lossSum() : 0;
                long before = partial ? resume.state().correct() : 0;
                long seen = partial ? resume.state().images() : 0;
                Evaluation trained = new Evaluation(classes);
                double rate = 0;
                Batches.Options augment = new Batches.Options(true, options.pad(), options.flip(), options.epochSeed(epoch));
                try (Batches batches = new Batches(train, options.batch(), norm, augment)) {
                    int steps = batches.count();
                    listener.epochStarted(epoch, options.epochs(), steps);
                    for (int s = 0; batches.hasNext(); s++) {
                        Batches.Batch b = batches.next();
                        if (s < skip) {
                            continue;
                        }
                        float[] images = b.images();
                        for (int i = 0; i < b.count() * imageSize; i++) {
                            x[i] = images[i];
                        }
                        double loss = g.step(x, b.labels(), b.count());
                        rate = rates.rate(epoch, s, steps);
                        if (!Double.isFinite(loss)) {
                            throw diverged("the loss became " + loss, epoch, s, rate, checkpoint);
                        }
                        sgd.step(rate);
                        String blown = nonFinite(g);
                        if (blown != null) {
                            throw diverged(blown + " became infinite or NaN", epoch, s, rate, checkpoint);
                        }
                        lossSum += loss * b.count();
                        double[] logits = g.lastLogits();
                        for (int i = 0; i < logits.length; i++) {
                            scores[i] = (float) logits[i];
                        }
                        trained.add(scores, b.labels(), b.count());
                        seen += b.count();
                        long correct = before + Math.round(trained.top1() * trained.images());
                        listener.stepDone(s, seen, lossSum / seen, (double) correct / seen);
                        if (stopRequested) {
                            if (checkpoint != null) {
                                Checkpoint.write(checkpoint, model.with(g.toLayer(), ""), g, sgd,
                                        new Checkpoint.State(kind, epoch, s + 1, options, data, train.size(), history, lossSum, seen, correct));
                            }
                            return new Result(model.with(g.toLayer(), ""), history, true);
                        }
                    }
                }
                Model now = model.with(g.toLayer(), "");
                double accuracy = test == null ? Double.NaN : Evaluator.evaluate(now, test, backend, options.batch()).top1();
                long correct = before + Math.round(trained.top1() * trained.images());
                Epoch done = new Epoch(epoch + 1, seen == 0 ? Double.NaN : lossSum / seen, seen == 0 ? Double.NaN : (double) correct / seen,
                        accuracy, (System.nanoTime() - t0) / 1e9, rate);
                history.add(done);
                if (checkpoint != null) {
                    Checkpoint.write(checkpoint, now, g, sgd, new Checkpoint.State(kind, epoch + 1, 0, options, data, train.size(), history, 0, 0, 0));
                }
                listener.epochFinished(done, options.epochs());
            }
            return new Result(model.with(g.toLayer(), ""), history, false);
        }
    }
}
