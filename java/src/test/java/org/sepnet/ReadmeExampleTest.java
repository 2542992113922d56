package org.sepnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
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
        int positive = 0;
        for (float v : out) {
            positive += v > 0 ? 1 : 0;
        }
        assertTrue(positive > out.length / 10, "ReLU output is almost all zero: " + positive);
    }
}
