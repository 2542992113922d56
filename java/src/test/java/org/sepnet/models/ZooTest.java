package org.sepnet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sepnet.layers.Summary;
import org.sepnet.layers.Transforms;
import org.sepnet.tensor.Shape;

/** The zoo against the SEP-Nets paper's figures and the counting rule. */
class ZooTest {
    private static long paper(Model m) {
        return Summary.of(m.graph(), m.input()).paperParams();
    }

    private static long binarized(String name, Transforms.BinarizeOptions o) {
        Model m = Zoo.build(name, 1);
        return Summary.of(Transforms.binarize(m.graph(), o), m.input()).paperParams();
    }

    /** Exact counts; the comments give the paper's rounded figures. */
    @ParameterizedTest(name = "{0}: {1} full, {2} pattern")
    @CsvSource({
            "resnet20, 292944, 55376",   // 292K, 55K
            "resnet32, 487376, 77776",   // 487K, 78K
            "resnet44, 681808, 100176",  // 682K, 100K
            "resnet56, 876240, 122576"}) // 876K, 123K
    void cifarResNetsReproduceThePaper(String name, long full, long pattern) {
        assertEquals(full, paper(Zoo.build(name, 1)));
        assertEquals(pattern, binarized(name, Zoo.authorsBinarization(name)));
    }

    @Test
    void googLeNetReproducesThePaper() {
        assertEquals(6_990_272, paper(Zoo.build("googlenet", 1)));               // 6.99M
        Transforms.BinarizeOptions o = Zoo.authorsBinarization("googlenet");
        assertEquals(4_430_272, binarized("googlenet", o.onlyKernels(3)));       // 3x3 binarized: 4.43M
        assertEquals(6_431_168, binarized("googlenet", o.onlyKernels(5)));       // 5x5 binarized: 6.43M
        assertEquals(3_871_168, binarized("googlenet", o));                      // both: 3.87M
    }

    @Test
    void mobileNetsAndSqueezeNetReproduceThePaper() {
        assertEquals(1.3, paper(Zoo.build("mobilenet-0.5", 1)) / 1e6, 0.05);    // 1.3M
        assertEquals(2.6, paper(Zoo.build("mobilenet-0.75", 1)) / 1e6, 0.05);   // 2.6M
        assertEquals(4.2, paper(Zoo.build("mobilenet-1.0", 1)) / 1e6, 0.05);    // 4.2M (the MobileNet paper)
        assertEquals(1.2, paper(Zoo.build("squeezenet", 1)) / 1e6, 0.05);       // 1.2M
        assertEquals(1_330_592, paper(Zoo.build("mobilenet-0.5", 1)));
        assertEquals(1_244_448, paper(Zoo.build("squeezenet", 1)));
    }

    @Test
    void sepNetsAreWithinThreePercentOfThePaper() {
        long rSmall = paper(Zoo.build("sepnet-small", 1));
        long rLarge = paper(Zoo.build("sepnet-large", 1));
        long bSmall = binarized("sepnet-small", Zoo.authorsBinarization("sepnet-small"));
        assertEquals(1.3e6, rSmall, 0.03 * 1.3e6, "SEP-Net-R small");
        assertEquals(1.7e6, rLarge, 0.03 * 1.7e6, "SEP-Net-R large");
        assertEquals(1.1e6, bSmall, 0.03 * 1.1e6, "SEP-Net-B small");
        assertEquals(1_311_280, rSmall);
        assertEquals(1_103_920, bSmall);
        assertEquals(1_731_504, rLarge);
        // The small-image SEP-Net (ours, docs/models.md), and the same for Fashion-MNIST's one channel.
        assertEquals(135_472, paper(Zoo.build("sepnet-cifar", 1)));
        assertEquals(91_952, binarized("sepnet-cifar", Zoo.authorsBinarization("sepnet-cifar")));
        Model gray = Zoo.build("sepnet-cifar", 1, org.sepnet.tensor.Shape.of(1, 28, 28), 10);
        assertEquals(135_472 - 2 * 9 * 32, paper(gray));
        assertEquals(org.sepnet.tensor.Shape.of(10), gray.graph().outputShape(gray.input()));
    }

    @Test
    void quantizedSepNetBSmallIsSmallerThanThePapers() {
        Model m = Zoo.build("sepnet-small", 1);
        var bq = Transforms.quantize8(Transforms.binarize(m.graph(), Zoo.authorsBinarization("sepnet-small")));
        long bytes = Summary.of(bq, m.input()).bytes();
        assertTrue(bytes <= 1_200_000, "SEP-Net-BQ small stores " + bytes + " bytes; the paper's takes 1.3 MB");
    }

    @Test
    void everyModelBuildsWithTheDocumentedShapes() {
        for (String name : Zoo.names()) {
            Model m = Zoo.build(name, 7);
            Shape out = m.graph().outputShape(m.input());
            assertEquals(name.startsWith("resnet") || name.equals("sepnet-cifar") ? 10 : 1000, out.size(), name + " output " + out);
            assertTrue(Summary.of(m.graph(), m.input()).macs() > 0, name);
        }
        assertEquals(Summary.of(Zoo.build("resnet20", 3).graph(), Shape.of(3, 32, 32)).bytes(),
                Summary.of(Zoo.build("resnet20", 4).graph(), Shape.of(3, 32, 32)).bytes());
    }

    @Test
    void unknownNamesListTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Zoo.build("resnet21", 1));
        assertTrue(e.getMessage().contains("'resnet21'") && e.getMessage().contains("sepnet-small") && e.getMessage().contains("squeezenet"),
                e.getMessage());
    }
}
