package org.sepnet.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.train.Checkpoint;
import org.sepnet.train.TrainOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sepnet refine IN --data D -o OUT.sepnet}. */
@Command(name = "refine", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Binarize a trained network (as 'binarize' does) and fine-tune it with the sign patterns frozen: the α's, "
                + "biases, batch norm, 1×1 weights, the layers kept float and the classifier learn. A model that already has "
                + "pattern layers is fine-tuned as it is.",
            "Defaults: cosine from lr 0.01 over 10 epochs, batch 128, weight decay 1e-4 (the authors' fine-tune rate and decay)."})
final class RefineCommand extends FileCommand {
    @Parameters(index = "0", paramLabel = "IN", description = "The trained float network (.sepnet from 'train', or any model file).")
    String in;

    @Option(names = "--freeze-alpha", description = "Keep every α as binarized (the authors' refine); by default each α learns.")
    boolean freezeAlpha;

    @Mixin
    BinarizeFlags flags;

    @Mixin
    TrainingOptions training;

    @Mixin
    BackendOption backend;

    @Override
    int run() throws IOException {
        TrainOptions options = training.options(TrainOptions.refining(10));
        if (freezeAlpha) {
            List<String> frozen = new ArrayList<>(options.freeze());
            frozen.add("*/alpha");
            options = options.withFreeze(frozen);
        }
        TrainingRun.Data data = TrainingRun.Data.open(training);
        Checkpoint resume = TrainingRun.resumed("refine", training, data);
        Model m = null;
        if (resume == null) {
            Model trained = Sources.load(in, null, training.seed());
            if (Transforms.floatKernels(trained.graph()).isEmpty() || hasPatterns(trained)) {
                m = trained;
                System.out.println(trained.name() + " already has pattern layers: fine-tuning it as it is");
            } else {
                Transforms.BinarizeOptions o = flags.options();
                m = trained.with(Transforms.binarize(trained.graph(), o), "+binarized");
                System.out.printf("binarized %d k×k layers of %s (α %s)%n", Transforms.floatKernels(trained.graph()).size()
                        - Transforms.floatKernels(m.graph()).size(), trained.name(), o.alpha());
            }
        }
        return TrainingRun.run("refine", m, training, options, data, resume, backend);
    }

    private static boolean hasPatterns(Model m) {
        boolean[] found = {false};
        Transforms.map(m.graph(), l -> {
            if (l instanceof org.sepnet.layers.PatternConv2d || l instanceof org.sepnet.layers.PatternResidualBlock p && p.pattern() != null) {
                found[0] = true;
            }
            return l;
        });
        return found[0];
    }
}
