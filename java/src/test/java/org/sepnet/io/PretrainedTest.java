package org.sepnet.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.sepnet.backend.Backends;
import org.sepnet.data.Evaluation;
import org.sepnet.data.FashionMnist;
import org.sepnet.models.Model;
import org.sepnet.tensor.Shape;
import org.sepnet.train.Evaluator;

/** The trained model in the jar: what it stores, its size, and its accuracy on Fashion-MNIST's test images. */
class PretrainedTest {
    @Test
    void resnet20FashionMnistBqIsInTheJarWithItsPreprocessing() throws IOException {
        Model m = Pretrained.load("resnet20-fmnist-bq");
        assertEquals(Shape.of(1, 28, 28), m.input());
        assertEquals(FashionMnist.LABELS, m.labels());
        assertNotNull(m.normalization());
        assertEquals(0.2860, m.normalization().mean()[0], 5e-4);
        assertEquals(0.3530, m.normalization().std()[0], 5e-4);
        try (InputStream in = Pretrained.class.getResourceAsStream("pretrained/resnet20-fmnist-bq.sepnet")) {
            int bytes = in.readAllBytes().length;
            assertTrue(bytes <= 100_000, bytes + " bytes; the shipped model is at most 100 KB");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pretrained.load("resnet56-fmnist"));
        assertTrue(e.getMessage().contains("resnet20-fmnist-bq"), e.getMessage());
    }

    @Test
    void classifiesAtLeastNinetyPercentOfTheTestImages() throws IOException {
        Assumptions.assumeTrue(FashionMnist.present(FashionMnist.DEBIAN), "dataset-fashion-mnist is not installed");
        Evaluation e = Evaluator.evaluate(Pretrained.load("resnet20-fmnist-bq"), FashionMnist.test(FashionMnist.DEBIAN), Backends.best(), 128);
        assertEquals(10_000, e.images());
        assertTrue(e.top1() >= 0.90, "top-1 " + e.top1());
    }
}
