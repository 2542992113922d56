package org.sepnet.cli;

import java.io.IOException;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.data.Evaluation;
import org.sepnet.data.FashionMnist;
import org.sepnet.data.ImageSet;
import org.sepnet.io.Pretrained;
import org.sepnet.layers.Summary;
import org.sepnet.models.Model;
import org.sepnet.train.Evaluator;

/**
 * The second half of {@code sepnet demo}: the shipped {@code resnet20-fmnist-bq} classifying
 * Fashion-MNIST's test images on every available backend, accuracy beside speed; without the data
 * package, how to get it.
 */
final class FashionDemo {
    /** The reference backend computes in double, one image at a time: it gets the first images only. */
    static final int REFERENCE_IMAGES = 50;

    private FashionDemo() {}

    /** Prints the table; returns false when a backend failed. */
    static boolean run(java.util.List<String> only) throws IOException {
        String name = Pretrained.names().get(0);
        Model m = Pretrained.load(name);
        Summary s = Summary.of(m.graph(), m.input());
        System.out.printf("%s (shipped in the jar): %s; %,d parameters (paper's rule), %,d bytes of weights%n", name, m.description(),
                s.paperParams(), s.bytes());
        if (!FashionMnist.present(FashionMnist.DEBIAN)) {
            System.out.println("  Fashion-MNIST is not installed: 'sudo apt-get install dataset-fashion-mnist' (Debian, Ubuntu) puts it in "
                    + FashionMnist.DEBIAN + ", then this demo classifies its 10,000 test images on every backend.");
            return true;
        }
        ImageSet test = FashionMnist.test(FashionMnist.DEBIAN);
        Table t = new Table("backend", "test images", "top-1", "top-5", "images/s", "check");
        boolean ok = true;
        for (Backend b : Backends.all()) {
            if (only != null && !only.contains(b.name())) {
                continue;
            }
            if (!b.availability().available()) {
                t.row(b.name(), "-", "-", "-", "-", "unavailable: " + b.availability().detail());
                continue;
            }
            ImageSet set = b.name().equals(ReferenceBackend.NAME) ? test.limit(REFERENCE_IMAGES) : test;
            try {
                long t0 = System.nanoTime();
                Evaluation e = Evaluator.evaluate(m, set, b, b.name().equals(ReferenceBackend.NAME) ? 1 : 128);
                double seconds = (System.nanoTime() - t0) / 1e9;
                t.row(b.name(), String.format("%,d", e.images()), String.format("%.4f", e.top1()), String.format("%.4f", e.top5()),
                        String.format("%,.0f", e.images() / seconds), "ok");
            } catch (RuntimeException e) {
                ok = false;
                t.row(b.name(), "-", "-", "-", "-", "FAILED: " + e);
            }
        }
        t.print(System.out);
        System.out.println("images/s: the whole evaluation (preparing images, compiling, batches of 128) timed once in this process; "
                + "the reference backend classifies the first " + REFERENCE_IMAGES + " images only.");
        return ok;
    }
}
