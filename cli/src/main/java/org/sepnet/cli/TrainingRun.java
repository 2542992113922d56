package org.sepnet.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.sepnet.data.DataSet;
import org.sepnet.data.ImageSet;
import org.sepnet.io.ModelIO;
import org.sepnet.models.Model;
import org.sepnet.train.Checkpoint;
import org.sepnet.train.TrainOptions;
import org.sepnet.train.Trainer;

/**
 * What {@code train} and {@code refine} share: the data, the checkpoint and {@code --resume}, a
 * progress bar per epoch on a terminal (nothing when output is not one), a line per epoch, Ctrl-C
 * writing a checkpoint, the trained model written at the end.
 */
final class TrainingRun {
    private TrainingRun() {}

    /** The data of a run: training split, test split, both cut by {@code --limit}. */
    record Data(DataSet set, ImageSet train, ImageSet test) {
        static Data open(TrainingOptions t) throws IOException {
            DataSet d = DataSet.open(t.data);
            ImageSet train = d.train();
            ImageSet test = d.test();
            if (t.limit() > 0) {
                train = train.limit(t.limit());
                test = test.limit(t.limit());
            }
            return new Data(d, train, test);
        }
    }

    /** A resumed run's checkpoint, checked against the command line, or null for a fresh run. */
    static Checkpoint resumed(String kind, TrainingOptions t, Data data) throws IOException {
        if (!t.resume) {
            return null;
        }
        Path p = t.checkpointPath();
        Checkpoint c;
        try {
            c = Checkpoint.read(p);
        } catch (NoSuchFileException e) {
            throw new IOException("no checkpoint at " + p + " to resume from (give --checkpoint FILE, or leave out --resume)");
        }
        Checkpoint.State s = c.state();
        if (!s.kind().equals(kind) || !s.data().equals(data.set().name()) || s.limit() != data.train().size()) {
            throw new IllegalArgumentException(p + " is a checkpoint of '" + s.kind() + "' on " + s.data() + " (" + s.limit()
                    + " training images); this is '" + kind + "' on " + data.set().name() + " (" + data.train().size() + ")");
        }
        return c;
    }

    /** Trains {@code model} (ignored when resuming) and writes it; returns the exit code. */
    static int run(String kind, Model model, TrainingOptions t, TrainOptions options, Data data, Checkpoint resume, BackendOption backend)
            throws IOException {
        Path target = Sources.output(t.out, ".sepnet");
        BackendOption.Choice choice = backend.choose();
        if (resume != null) {
            options = resume.state().options();
            System.out.printf("resuming %s from %s: %d epochs and %d steps done of %d epochs (options as stored)%n", kind,
                    t.checkpointPath(), resume.state().epoch(), resume.state().step(), options.epochs());
        }
        Model m = resume != null ? resume.model() : model;
        System.out.printf("%s %s on %s: %,d training images %s, %,d test images; %s (%s)%n", kind, m.name(), data.set().name(),
                data.train().size(), data.train().imageShape(), data.test().size(), choice.backend().name(), choice.why());
        System.out.printf("  %d epochs, batch %d, lr %s %s%s, momentum %s, weight decay %s, crop padding %d%s, seed %d%s%n",
                options.epochs(), options.batch(), options.learningRate(), options.schedule(),
                options.warmup() > 0 ? " after " + options.warmup() + " warm-up epochs" : "", options.momentum(), options.weightDecay(),
                options.pad(), options.flip() ? ", flips" : "", options.seed(),
                options.freeze().isEmpty() ? "" : ", frozen " + String.join(",", options.freeze()));
        Trainer trainer = new Trainer(kind, m, data.set().name(), data.train(), data.test(), data.set().labels(), choice.backend(), options);
        Path ckpt = t.checkpointPath();
        Thread hook = new Thread(() -> {
            try {
                if (trainer.requestStop(120)) {
                    System.err.println("\nsepnet " + kind + ": interrupted; checkpoint written to " + ckpt + " (continue with --resume)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "sepnet-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        Trainer.Result r;
        try (Progress progress = new Progress()) {
            r = trainer.run(ckpt, resume, progress);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running and reports the checkpoint itself.
            }
        }
        if (r.stopped()) {
            return 130;
        }
        ModelIO.save(r.model(), target);
        Trainer.Epoch last = r.history().isEmpty() ? null : r.history().get(r.history().size() - 1);
        System.out.printf("wrote %s (%,d bytes)%s; checkpoint %s%n", t.out, Files.size(target),
                last == null ? "" : String.format(": test top-1 %.4f after %d epochs", last.testAccuracy(), last.epoch()), ckpt);
        return 0;
    }

    /** A bar per epoch on standard error when it is a terminal; a line per epoch on standard output always. */
    static final class Progress implements Trainer.Listener, AutoCloseable {
        private final boolean terminal = System.console() != null;
        private ProgressBar bar;
        private long start;

        @Override
        public void epochStarted(int epoch, int epochs, int steps) {
            start = System.nanoTime();
            if (terminal) {
                bar = new ProgressBarBuilder().setTaskName(String.format("epoch %d/%d", epoch + 1, epochs)).setInitialMax(steps)
                        .setUpdateIntervalMillis(250).setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
            }
        }

        @Override
        public void stepDone(int step, long images, double loss, double accuracy) {
            if (bar != null) {
                bar.stepTo(step + 1);
                double s = (System.nanoTime() - start) / 1e9;
                bar.setExtraMessage(String.format(" loss %.4f acc %.4f %,.0f img/s", loss, accuracy, s > 0 ? images / s : 0));
            }
        }

        @Override
        public void epochFinished(Trainer.Epoch e, int epochs) {
            close();
            System.out.printf("epoch %d/%d: loss %.4f, train top-1 %.4f, test top-1 %.4f, lr %.5f, %.1f s%n", e.epoch(), epochs, e.loss(),
                    e.trainAccuracy(), e.testAccuracy(), e.learningRate(), e.seconds());
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }
}
