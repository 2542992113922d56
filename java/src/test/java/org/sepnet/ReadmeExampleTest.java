package org.sepnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.backend.cpu.PatternAlgorithm;
import org.sepnet.data.DataSet;
import org.sepnet.data.Evaluation;
import org.sepnet.data.FashionMnist;
import org.sepnet.data.ImageSet;
import org.sepnet.io.ModelIO;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.Binarizer;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.runtime.Network;
import org.sepnet.runtime.Parameter;
import org.sepnet.runtime.TrainingGraph;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Npy;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;
import org.sepnet.testing.DocExamples;
import org.sepnet.predict.Classifications;
import org.sepnet.predict.Predictor;
import org.sepnet.train.Evaluator;
import org.sepnet.train.TrainOptions;
import org.sepnet.train.Trainer;

/**
 * The Java examples of the README and the docs, as written there, so they keep compiling and running
 * ({@link DocExamples#assertInDocument}).
 */
class ReadmeExampleTest {
    private static void assertInDocument(String marker, Path doc) throws IOException {
        DocExamples.assertInDocument(Path.of("src/test/java/org/sepnet/ReadmeExampleTest.java"), marker, doc);
    }

    @Test
    void readmeNetworkExampleRuns(@TempDir Path dir) throws IOException {
        ModelIO.save(Zoo.build("resnet20", 1), dir.resolve("resnet20.sepnet"));
        try (HostTensor sample = HostTensor.allocate(Shape.nchw(5, 3, 32, 32))) {
            for (int i = 0; i < sample.size(); i++) {
                sample.set(i, (i % 7) * 0.25f - 0.75f);
            }
            Npy.write(dir.resolve("images.npy"), sample);
        }
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            // --- README network ---
            Model model = ModelIO.load(dir.resolve("resnet20.sepnet"), null);        // its own input shape: [3, 32, 32]
            try (Network net = Network.compile(model.graph(), model.input(), Backends.best(), 32);
                 HostTensor images = Npy.read(dir.resolve("images.npy"));            // float32 [n, 3, 32, 32], any n
                 HostTensor logits = HostTensor.allocate(net.outputShape().withBatch(images.shape().dim(0)))) {
                net.forward(images, logits);                                      // 32 images at a time
                int classes = (int) net.outputShape().size();
                float[] y = logits.toArray();
                for (int i = 0; i < images.shape().dim(0); i++) {
                    int top = 0;
                    for (int c = 1; c < classes; c++) {
                        top = y[i * classes + c] > y[i * classes + top] ? c : top;
                    }
                    System.out.println("image " + i + ": class " + top);
                }
            }
            // --- end ---
        } finally {
            System.setOut(stdout);
        }
        assertTrue(printed.toString(java.nio.charset.StandardCharsets.UTF_8).matches("(?s)image 0: class \\d\n.*image 4: class \\d\n"),
                printed.toString(java.nio.charset.StandardCharsets.UTF_8));
        assertInDocument("README network", Path.of("../README.md"));
    }

    @Test
    void readmeExampleRuns(@TempDir Path dir) throws IOException {
        Path xFile = dir.resolve("x.npy");
        try (HostTensor sample = HostTensor.allocate(Shape.nchw(2, 64, 32, 32))) {
            sample.fill(0.5f);
            Npy.write(xFile, sample);
        }
        float[] out;

        // --- README ---
        ConvDesc conv = ConvDesc.builder().batch(8).channels(64, 64).input(32, 32).kernel(3).pad(1).build();
        ConvWeights trained = ConvWeights.random(64, 64, 3, 3, true, 1);
        PatternWeights pattern = Binarizer.binarize(trained);

        PrbDesc block = PrbDesc.of(conv, 1);
        ConvWeights pointwise = ConvWeights.random(64, 64, 1, 1, false, 2);

        Backend backend = Backends.best();
        try (UnaryOp op = backend.patternResidualBlock(block, pattern, pointwise, Activation.RELU);
             HostTensor input = Npy.read(xFile);
             Tensor x = backend.allocate(input.shape());
             Tensor y = backend.allocate(op.outputShape(input.shape()))) {
            x.copyFrom(input);
            op.run(x, y);
            out = y.toArray(); // (test)
        }
        // --- end ---

        assertEquals(2 * 64 * 32 * 32, out.length);
        positiveFraction(out);
        assertInDocument("README", Path.of("../README.md"));
    }

    /** The network example of docs/models.md, as written there. */
    @Test
    void modelsDocExampleRuns(@TempDir Path dir) throws IOException {
        try (HostTensor sample = HostTensor.allocate(Shape.nchw(2, 3, 224, 224))) {
            sample.fill(0.25f);
            Npy.write(dir.resolve("images.npy"), sample);
        }
        float[] out;
        // --- docs/models.md ---
        Model m = Zoo.build("sepnet-small", 1);
        Layer b = Transforms.binarize(m.graph(), Zoo.authorsBinarization("sepnet-small"));
        try (Network net = Network.compile(b, m.input(), Backends.best(), 32);
             HostTensor images = Npy.read(dir.resolve("images.npy"));
             HostTensor logits = HostTensor.allocate(images.shape().dim(0), 1000)) {
            net.forward(images, logits);
            out = logits.toArray(); // (test)
        }
        // --- end ---
        assertEquals(2000, out.length);
        for (float v : out) {
            assertTrue(Float.isFinite(v));
        }
        assertTrue(out[0] != out[1], "logits are not all equal");
        assertInDocument("docs/models.md", Path.of("../docs/models.md"));
    }

    /** The lifetime example of docs/reliability.md: a network used after its backend is closed. */
    @Test
    void reliabilityDocExampleRuns() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.sepnet.backend.BuildInfo.built("native.library"), "no native library");
        Layer model = Zoo.build("resnet20", 1).graph();
        Shape input = Shape.of(3, 32, 32);
        try (HostTensor x = HostTensor.allocate(Shape.nchw(2, 3, 32, 32))) {
            x.fill(0.5f);
            float[] out;
            // --- docs/reliability.md ---
            Network net;
            try (NativeBackend b = NativeBackend.create(4, "auto", PatternAlgorithm.AUTO)) {
                net = Network.compile(model, input, b, 8);
            }
            net.forward(x);
            out = net.forward(x).toArray(); // (test)
            net.close(); // (test)
            // --- end ---
            assertEquals(20, out.length);
            assertTrue(Float.isFinite(out[0]));
        }
        assertInDocument("docs/reliability.md", Path.of("../docs/reliability.md"));
    }

    /** The training-graph example of docs/training.md, as written there. */
    @Test
    void trainingDocExampleRuns() throws IOException {
        Layer model = Zoo.build("resnet20", 1).graph();
        int batch = 2;
        double[] images = new double[batch * 3 * 32 * 32];
        java.util.Arrays.fill(images, 0.1);
        images[5] = -0.3;
        int[] labels = {3, 7};
        // --- docs/training.md ---
        TrainingGraph g = TrainingGraph.build(model, Shape.of(3, 32, 32)); // parameters copied from the layers
        g.freeze("stage1.*"); // layers by name glob
        double loss = g.step(images, labels, batch); // forward (training mode) + backward
        for (Parameter p : g.parameters()) {
            if (p.trainable()) {
                for (int i = 0; i < p.value().length; i++) {
                    p.value()[i] -= 0.01 * p.grad()[i]; // plain SGD
                }
            }
        }
        double[] logits = g.predict(images, batch); // inference: running statistics
        // --- end ---
        assertTrue(loss > 0 && Double.isFinite(loss), "loss " + loss);
        assertEquals(20, logits.length);
        assertInDocument("docs/training.md", Path.of("../docs/training.md"));
    }

    /** The Predictor example of the README, on Fashion-MNIST's first test image (an ankle boot) written as a PNG. */
    @Test
    void readmePredictorExampleRuns(@TempDir Path dir) throws IOException {
        java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        boolean data = FashionMnist.present(FashionMnist.DEBIAN);
        if (data) {
            float[] px = new float[28 * 28];
            FashionMnist.test(FashionMnist.DEBIAN).pixels(0, px, 0);
            for (int i = 0; i < px.length; i++) {
                image.getRaster().setSample(i % 28, i / 28, 0, Math.round(px[i] * 255));
            }
        }
        javax.imageio.ImageIO.write(image, "png", dir.resolve("boot.png").toFile());
        java.io.File png = dir.resolve("boot.png").toFile();
        String label;
        // --- README predictor ---
        try (Predictor p = Predictor.builder().model("resnet20-fmnist-bq").build()) {
            Classifications c = p.predict(ImageIO.read(png)); // (test)
            label = c.best().label(); // (test)
            System.out.println(c.best().label() + " " + c.best().probability());
            System.out.println(c.topK(3));
        }
        // --- end ---
        if (data) {
            assertEquals("Ankle boot", label);
        }
        assertInDocument("README predictor", Path.of("../README.md"));
    }

    /** The Java example of docs/refine.md, as written there, on 256 Fashion-MNIST images for one epoch. */
    @Test
    void refineDocExampleRuns(@TempDir Path dir) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(FashionMnist.present(FashionMnist.DEBIAN), "dataset-fashion-mnist is not installed");
        DataSet data = DataSet.open("fashion-mnist");
        ImageSet train = data.train().limit(256);
        ImageSet test = data.test().limit(256);
        int epochs = 1;
        // --- docs/refine.md ---
        Model m = Zoo.build("resnet20", 1, train.imageShape(), train.classes());
        TrainOptions o = TrainOptions.training(epochs); // cosine from 0.1, batch 128, λ 5e-4, crops of 2, flips
        Trainer t = new Trainer("train", m, data.name(), train, test, data.labels(), Backends.best(), o);
        Trainer.Result r = t.run(dir.resolve("r20.ckpt"), null, new Trainer.Listener() {
            @Override
            public void epochFinished(Trainer.Epoch e, int total) {
                System.out.println(e);
            }
        });
        ModelIO.save(r.model(), dir.resolve("resnet20-fmnist.sepnet")); // with its normalization and class names

        Model b = r.model().with(Transforms.binarize(r.model().graph(), Transforms.BinarizeOptions.authors()), "+binarized");
        Trainer refine = new Trainer("refine", b, data.name(), train, test, data.labels(), Backends.best(), TrainOptions.refining(5));
        Model refined = refine.run(null, null, new Trainer.Listener() {}).model();
        Evaluation e = Evaluator.evaluate(refined, test, Backends.best(), 128);
        System.out.printf("top-1 %.4f%n", e.top1());
        // --- end ---
        assertEquals(256, e.images());
        assertEquals(FashionMnist.LABELS, ModelIO.load(dir.resolve("resnet20-fmnist.sepnet"), null).labels());
        assertInDocument("docs/refine.md", Path.of("../docs/refine.md"));
    }

    /** The example of docs/model-file.md, as written there (paths made absolute in a temporary directory). */
    @Test
    void modelFileDocExampleRuns(@TempDir Path dir) throws IOException {
        Path caffe = org.sepnet.testing.Fixtures.path(org.sepnet.testing.Fixtures.RESNET20_CAFFE);
        Files.copy(caffe, dir.resolve("resnet20_cifar10_authors.caffemodel"));
        // --- docs/model-file.md ---
        Model authors = ModelIO.load(dir.resolve("resnet20_cifar10_authors.caffemodel"), null);
        Model b = authors.with(Transforms.binarize(authors.graph(), Transforms.BinarizeOptions.authors()), "+binarized");
        Model bq = b.with(Transforms.quantize8(b.graph()), "+int8");
        ModelIO.save(bq, dir.resolve("resnet20-bq.sepnet"));
        ModelIO.save(b, dir.resolve("resnet20-b.onnx"));
        // --- end ---
        assertEquals(Shape.of(3, 32, 32), authors.input());
        assertEquals(67_733, Files.size(dir.resolve("resnet20-bq.sepnet")), "the size the doc states");
        assertEquals(ModelIO.Format.ONNX, ModelIO.formatOf(dir.resolve("resnet20-b.onnx")));
        assertInDocument("docs/model-file.md", Path.of("../docs/model-file.md"));
    }

    private static void positiveFraction(float[] out) {
        int positive = 0;
        for (float v : out) {
            positive += v > 0 ? 1 : 0;
        }
        assertTrue(positive > out.length / 10, "ReLU output is almost all zero: " + positive);
    }
}
