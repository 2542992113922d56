package org.sepnet.cli;

import java.io.IOException;
import org.sepnet.models.Model;
import org.sepnet.train.Checkpoint;
import org.sepnet.train.TrainOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code sepnet train MODEL --data D -o OUT.sepnet}. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a float network on labeled images: SGD with momentum and weight decay, shuffled batches with random "
                + "crops and flips, the test accuracy after every epoch, a checkpoint after every epoch (Ctrl-C writes one; "
                + "--resume continues). A zoo model is built for the data's image size and class count; the written model stores "
                + "the training set's normalization and class names.",
            "Defaults: cosine from lr 0.1 over 30 epochs, batch 128, weight decay 5e-4."})
final class TrainCommand extends FileCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A zoo model (listed below: the CIFAR ResNets and sepnet-cifar are built for the data's image size and "
            + "classes), a trained model, or a model file.")
    String model;

    @Mixin
    TrainingOptions training;

    @Mixin
    BackendOption backend;

    @Override
    int run() throws IOException {
        TrainOptions options = training.options(TrainOptions.training(30));
        TrainingRun.Data data = TrainingRun.Data.open(training);
        Checkpoint resume = TrainingRun.resumed("train", training, data);
        Model m = resume != null ? null : Sources.forData(model, training.seed(), data.train().imageShape(), data.train().classes());
        return TrainingRun.run("train", m, training, options, data, resume, backend);
    }
}
