package org.sepnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.io.ModelIO;
import org.sepnet.layers.Layer;
import org.sepnet.runtime.Network;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.Binarizer;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Npy;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/** The README's Java example, as written there, so it keeps compiling and running. */
class ReadmeExampleTest {
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
            out = y.toArray();
        }
        // --- end ---

        assertEquals(2 * 64 * 32 * 32, out.length);
        positiveFraction(out);
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
            out = logits.toArray();
        }
        // --- end ---
        assertEquals(2000, out.length);
        for (float v : out) {
            assertTrue(Float.isFinite(v));
        }
        assertTrue(out[0] != out[1], "logits are not all equal");
    }

    /** The example of docs/model-file.md, as written there (paths made absolute in a temporary directory). */
    @Test
    void modelFileDocExampleRuns(@TempDir Path dir) throws IOException {
        Path caffe = org.sepnet.testing.Fixtures.path(org.sepnet.testing.Fixtures.RESNET20_CAFFE);
        // --- docs/model-file.md ---
        Model authors = ModelIO.load(caffe, null);
        Model b = authors.with(Transforms.binarize(authors.graph(), Transforms.BinarizeOptions.authors()), "+binarized");
        Model bq = b.with(Transforms.quantize8(b.graph()), "+int8");
        ModelIO.save(bq, dir.resolve("resnet20-bq.sepnet"));
        ModelIO.save(b, dir.resolve("resnet20-b.onnx"));
        // --- end ---
        assertEquals(Shape.of(3, 32, 32), authors.input());
        assertEquals(67_733, Files.size(dir.resolve("resnet20-bq.sepnet")), "the size the doc states");
        assertEquals(ModelIO.Format.ONNX, ModelIO.formatOf(dir.resolve("resnet20-b.onnx")));
    }

    private static void positiveFraction(float[] out) {
        int positive = 0;
        for (float v : out) {
            positive += v > 0 ? 1 : 0;
        }
        assertTrue(positive > out.length / 10, "ReLU output is almost all zero: " + positive);
    }
}
