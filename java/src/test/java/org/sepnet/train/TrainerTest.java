package org.sepnet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.backend.Backend;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.data.ImageSet;
import org.sepnet.io.ModelFile;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Seeds;

/**
 * The training loop on synthetic images (three classes told apart by where a bright square sits):
 * it learns, a stopped and resumed run gives the same model bit for bit as an uninterrupted one,
 * a NaN loss stops it with the last checkpoint kept, and damaged checkpoints are refused.
 */
class TrainerTest {
    static final Shape IMAGE = Shape.of(1, 8, 8);

    /** {@code n} images of {@link org.sepnet.testing.Data#squares}. */
    static ImageSet squares(int n, long seed) {
        org.sepnet.testing.Data.Squares d = org.sepnet.testing.Data.squares(n, new SplittableRandom(seed));
        return ImageSet.of(d.pixels(), d.labels(), IMAGE, 3);
    }

    static Model tiny() {
        return Zoo.build("resnet8", 5, IMAGE, 3);
    }

    static TrainOptions options(int epochs) {
        return TrainOptions.training(epochs).withBatch(32).withLearningRate(0.05, "cosine", 0).withAugmentation(3, 1, false);
    }

    static Backend backend() {
        return NativeBackend.instance().availability().available() ? NativeBackend.instance() : ReferenceBackend.instance();
    }

    static Trainer trainer(Model m, TrainOptions o) {
        // 90 test images: the last evaluation batch is short.
        return new Trainer("train", m, "squares", squares(192, 1), squares(90, 2), List.of("tl", "mid", "br"), backend(), o);
    }

    @Test
    void learnsAndStoresWhatItLearnedFrom(@TempDir Path dir) throws IOException {
        Trainer.Result r = trainer(tiny(), options(4)).run(dir.resolve("c.ckpt"), null, new Trainer.Listener() {});
        assertEquals(4, r.history().size());
        Trainer.Epoch last = r.history().get(3);
        assertTrue(last.testAccuracy() >= 0.9, "test accuracy " + last.testAccuracy() + " after 4 epochs; history " + r.history());
        assertTrue(last.loss() < r.history().get(0).loss(), r.history().toString());
        assertEquals(List.of("tl", "mid", "br"), r.model().labels());
        assertEquals(squares(192, 1).statistics(), r.model().normalization());
        // What eval measures on the written model is what the last epoch reported.
        double eval = Evaluator.evaluate(ModelFile.decode(ModelFile.encode(r.model()), "m"), squares(90, 2), backend(), 32).top1();
        assertEquals(last.testAccuracy(), eval, 1e-12);
    }

    /** Stops after {@code stopAfter} steps of epoch {@code stopEpoch}, then resumes to the end: the model must equal an unbroken run's. */
    @Test
    void aStoppedAndResumedRunEqualsAnUnbrokenOne(@TempDir Path dir) throws Exception {
        Trainer.Result unbrokenRun = trainer(tiny(), options(3)).run(null, null, new Trainer.Listener() {});
        byte[] unbroken = ModelFile.encode(unbrokenRun.model());
        for (int[] at : new int[][] {{0, 2}, {1, 5}, {2, 0}}) {
            Path ckpt = dir.resolve("stop" + at[0] + at[1] + ".ckpt");
            Trainer first = trainer(tiny(), options(3));
            Trainer.Result stopped = first.run(ckpt, null, new Trainer.Listener() {
                int epoch;

                @Override
                public void epochStarted(int e, int epochs, int steps) {
                    epoch = e;
                }

                @Override
                public void stepDone(int step, long images, double loss, double accuracy) {
                    if (epoch == at[0] && step == at[1]) {
                        new Thread(() -> {
                            try {
                                first.requestStop(0);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }).run();
                    }
                }
            });
            assertTrue(stopped.stopped(), "stop at " + at[0] + "/" + at[1]);
            Checkpoint c = Checkpoint.read(ckpt);
            assertEquals(at[0], c.state().epoch());
            assertEquals(at[1] + 1, c.state().step());
            Trainer.Result resumed = trainer(tiny(), options(3)).run(ckpt, c, new Trainer.Listener() {});
            List<Trainer.Epoch> a = unbrokenRun.history();
            List<Trainer.Epoch> b = resumed.history();
            assertEquals(3, b.size());
            for (int e = 0; e < 3; e++) {
                assertEquals(a.get(e).loss(), b.get(e).loss(), 1e-12, "epoch " + e + " loss");
                assertEquals(a.get(e).trainAccuracy(), b.get(e).trainAccuracy(), "epoch " + e + " training accuracy");
                assertEquals(a.get(e).testAccuracy(), b.get(e).testAccuracy(), "epoch " + e + " test accuracy");
            }
            assertArrayEquals(unbroken, ModelFile.encode(resumed.model()), "resumed after epoch " + at[0] + " step " + at[1]);
        }
    }

    @Test
    void aLossThatIsNotANumberStopsTheRunAndKeepsTheLastCheckpoint(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("c.ckpt");
        trainer(tiny(), options(1)).run(ckpt, null, new Trainer.Listener() {});
        byte[] good = Files.readAllBytes(ckpt);
        Checkpoint c = Checkpoint.read(ckpt);
        // Resume for a longer run with an absurd rate: the weights blow up and the loss with them.
        TrainOptions wild = options(3).withLearningRate(1e30, "constant", 0);
        Trainer t = trainer(c.model(), wild);
        Trainer.DivergedException e = assertThrows(Trainer.DivergedException.class, () -> t.run(ckpt, c, new Trainer.Listener() {}));
        assertTrue((e.getMessage().contains("the loss became") || e.getMessage().contains("became infinite or NaN"))
                && e.getMessage().contains("last good checkpoint"), e.getMessage());
        assertArrayEquals(good, Files.readAllBytes(ckpt), "the checkpoint of the last good epoch is kept");
    }

    @Test
    void theModelMustTakeTheImagesAndClasses() {
        Model other = Zoo.build("resnet8", 5, Shape.of(1, 10, 10), 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer(other, options(1)));
        assertTrue(e.getMessage().contains("takes [1, 10, 10] images; the data's are [1, 8, 8]"), e.getMessage());
        Model four = Zoo.build("resnet8", 5, IMAGE, 4);
        e = assertThrows(IllegalArgumentException.class, () -> trainer(four, options(1)));
        assertTrue(e.getMessage().contains("has 4 outputs; the data has 3 classes"), e.getMessage());
    }

    @Test
    void damagedCheckpointsAreRefusedWithOneLine(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("c.ckpt");
        trainer(tiny(), options(1)).run(ckpt, null, new Trainer.Listener() {});
        byte[] good = Files.readAllBytes(ckpt);
        SplittableRandom r = new SplittableRandom(Seeds.of("checkpoint"));
        for (int t = 0; t < 20; t++) {
            byte[] d = good.clone();
            int pos = r.nextInt(d.length);
            d[pos] ^= (byte) (1 + r.nextInt(255));
            Files.write(ckpt, d);
            IOException e = assertThrows(IOException.class, () -> Checkpoint.read(ckpt), "byte " + pos + " " + Seeds.replay("checkpoint"));
            assertTrue(e.getMessage().startsWith(ckpt.toString()) && !e.getMessage().contains("\n"), e.getMessage());
        }
        Files.write(ckpt, java.util.Arrays.copyOf(good, good.length / 2));
        assertThrows(IOException.class, () -> Checkpoint.read(ckpt));
        Files.write(ckpt, ModelFile.encode(tiny()));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(ckpt));
        assertTrue(e.getMessage().contains("not a sepnet training checkpoint"), e.getMessage());
    }

    @Test
    void refiningKeepsTheSignsAndFrozenAlphas() throws IOException {
        Model trained = trainer(tiny(), options(2)).run(null, null, new Trainer.Listener() {}).model();
        Model b = trained.with(Transforms.binarize(trained.graph(), Transforms.BinarizeOptions.authors()), "+binarized");
        TrainOptions o = TrainOptions.refining(1).withBatch(32).withAugmentation(3, 1, false).withFreeze(List.of("*/alpha"));
        Model refined = trainer(b, o).run(null, null, new Trainer.Listener() {}).model();
        List<org.sepnet.layers.Layer> before = leaves(b);
        List<org.sepnet.layers.Layer> after = leaves(refined);
        int patterns = 0;
        for (int i = 0; i < before.size(); i++) {
            if (before.get(i) instanceof org.sepnet.layers.PatternConv2d p) {
                var q = (org.sepnet.layers.PatternConv2d) after.get(i);
                assertArrayEquals(p.weights().bits(), q.weights().bits(), p.name() + " signs");
                assertArrayEquals(p.weights().alpha(), q.weights().alpha(), p.name() + " alpha (frozen)");
                patterns++;
            }
        }
        assertTrue(patterns > 0);
    }

    private static List<org.sepnet.layers.Layer> leaves(Model m) {
        List<org.sepnet.layers.Layer> out = new java.util.ArrayList<>();
        Transforms.map(m.graph(), l -> {
            out.add(l);
            return l;
        });
        return out;
    }
}
