package example;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.List;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.data.FashionMnist;
import org.sepnet.data.ImageSet;
import org.sepnet.ops.Activation;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.Binarizer;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.predict.Classifications;
import org.sepnet.predict.Predictor;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * What a user's program does with the library: classify a few Fashion-MNIST test images with the
 * shipped model through a Predictor (as BufferedImages, the way an application holds pictures),
 * then run one pattern convolution through the low-level op API. Exits 1 if a prediction is not
 * what the model is known to do (at least 8 of the first 10 images right).
 */
public final class Classify {
    public static void main(String[] args) throws IOException {
        try (Predictor p = Predictor.builder().model("resnet20-fmnist-bq").build()) {
            System.out.println("model " + p.model().name() + " on the " + p.backend() + " backend, classes " + p.model().labels());
            if (FashionMnist.present(FashionMnist.DEBIAN)) {
                ImageSet test = FashionMnist.test(FashionMnist.DEBIAN);
                int right = 0;
                for (int i = 0; i < 10; i++) {
                    Classifications c = p.predict(image(test, i));
                    String truth = p.model().labels().get(test.label(i));
                    right += c.best().label().equals(truth) ? 1 : 0;
                    System.out.printf("image %d: %s (%.3f), then %s; true: %s%n", i, c.best().label(), c.best().probability(),
                            c.topK(3).subList(1, 3).stream().map(k -> k.label()).toList(), truth);
                }
                System.out.println(right + " of 10 right");
                if (right < 8) {
                    System.exit(1);
                }
            } else {
                BufferedImage blank = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
                System.out.println("no Fashion-MNIST here (apt-get install dataset-fashion-mnist); a black image is a "
                        + p.predict(blank).best().label());
            }
        }

        // The low-level API: one 3×3 pattern convolution (signs + one α per filter), fused ReLU.
        Backend backend = Backends.best();
        ConvDesc desc = ConvDesc.builder().batch(1).channels(8, 16).input(16, 16).kernel(3).pad(1).build();
        PatternWeights pattern = Binarizer.binarize(ConvWeights.random(16, 8, 3, 3, true, 42));
        try (UnaryOp op = backend.patternConv2d(desc, pattern, Activation.RELU);
             HostTensor input = HostTensor.allocate(Shape.nchw(1, 8, 16, 16));
             Tensor x = backend.allocate(input.shape());
             Tensor y = backend.allocate(op.outputShape(input.shape()))) {
            for (int i = 0; i < input.size(); i++) {
                input.buffer().put(i, (float) Math.sin(i));
            }
            x.copyFrom(input);
            op.run(x, y);
            float[] out = y.toArray();
            int positive = 0;
            float max = 0;
            for (float v : out) {
                positive += v > 0 ? 1 : 0;
                max = Math.max(max, v);
            }
            System.out.printf("pattern convolution on %s: %s -> %s, %d of %d outputs positive after ReLU, largest %.4f%n", backend.name(),
                    input.shape(), y.shape(), positive, out.length, max);
        }
    }

    /** Test image {@code i} as an 8-bit gray BufferedImage. */
    private static BufferedImage image(ImageSet set, int i) {
        float[] px = new float[28 * 28];
        set.pixels(i, px, 0);
        BufferedImage b = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                b.getRaster().setSample(x, y, 0, Math.round(px[y * 28 + x] * 255));
            }
        }
        return b;
    }
}
