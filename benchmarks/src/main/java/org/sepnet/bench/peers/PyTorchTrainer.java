package org.sepnet.bench.peers;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.nio.FloatBuffer;
import org.sepnet.layers.Layer;
import org.sepnet.tensor.Shape;

/**
 * The training-step peer: PyTorch on the CPU through DJL, the same network built from DJL blocks
 * with our model's values ({@link DjlBlocks}), SGD with momentum, softmax cross-entropy on the
 * logits. One step = forward, loss, backward, update, as ours.
 */
public final class PyTorchTrainer implements AutoCloseable {
    private final Model model;
    private final Trainer trainer;
    private final NDManager manager;
    private final NDArray x;
    private final NDArray labels;

    /**
     * @param layer our model (a final softmax is left out, as our training graph does)
     * @param images batch × input feature values; labels one class per image
     */
    public PyTorchTrainer(Layer layer, Shape input, int batch, float[] images, int[] labels, float learningRate) {
        DjlBlocks blocks = DjlBlocks.of(DjlBlocks.withoutSoftmax(layer), input);
        model = Model.newInstance("peer", Device.cpu(), "PyTorch");
        model.setBlock(blocks.block);
        DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(learningRate)).optMomentum(0.9f).build())
                .optDevices(new Device[] {Device.cpu()});
        trainer = model.newTrainer(config);
        ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(DjlBlocks.dims(batch, input));
        trainer.initialize(shape);
        blocks.load();
        manager = model.getNDManager().newSubManager();
        x = manager.create(FloatBuffer.wrap(images), shape);
        float[] l = new float[batch];
        for (int i = 0; i < batch; i++) {
            l[i] = labels[i];
        }
        this.labels = manager.create(l);
    }

    /** PyTorch's intra-op threads (set before the engine loads: the JVM's first DJL call). */
    public static void threads(int n) {
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }

    /**
     * One SGD step; returns the batch's mean loss before the update. The step's intermediate arrays
     * are created in their input's manager, so the input is attached to a per-step manager for the
     * step (and returns to its own after): without that every step's activations stay allocated.
     */
    public float step() {
        float loss;
        try (NDManager scope = manager.newSubManager()) {
            x.tempAttach(scope);
            labels.tempAttach(scope);
            try (GradientCollector gc = trainer.newGradientCollector()) {
                NDList out = trainer.forward(new NDList(x));
                NDArray l = trainer.getLoss().evaluate(new NDList(labels), out);
                gc.backward(l);
                loss = l.getFloat();
            }
            trainer.step();
        }
        return loss;
    }

    @Override
    public void close() {
        manager.close();
        trainer.close();
        model.close();
    }
}
