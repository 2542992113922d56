package org.sepnet.bench.peers;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import org.sepnet.layers.Layer;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;

/**
 * The inference peer on PyTorch (CPU, through DJL): the same network built from DJL blocks with the
 * model's values ({@link DjlBlocks}), run by a DJL predictor (no gradients, batch norm on its
 * running statistics) from a host tensor's values into another's.
 */
public final class PyTorchModel implements AutoCloseable {
    private final Model model;
    private final Predictor<NDList, NDList> predictor;
    private final NDManager manager;
    private final HostTensor x;
    private final HostTensor y;
    private final ai.djl.ndarray.types.Shape shape;
    private final float[] in;

    public PyTorchModel(Layer layer, Shape input, int batch, HostTensor x, HostTensor y) {
        DjlBlocks blocks = DjlBlocks.of(layer, input);
        model = Model.newInstance("peer", Device.cpu(), "PyTorch");
        model.setBlock(blocks.block);
        shape = new ai.djl.ndarray.types.Shape(DjlBlocks.dims(batch, input));
        blocks.block.initialize(model.getNDManager(), DataType.FLOAT32, shape);
        blocks.load();
        predictor = model.newPredictor(new NoopTranslator());
        manager = model.getNDManager().newSubManager();
        this.x = x;
        this.y = y;
        this.in = new float[x.size()];
    }

    /** Runs the model on x's values; the result lands in y. */
    public void run() throws TranslateException {
        x.copyTo(in);
        try (NDManager scope = manager.newSubManager()) {
            NDList out = predictor.predict(new NDList(scope.create(in, shape)));
            y.copyFrom(out.singletonOrThrow().toFloatArray());
            out.attach(scope);
        }
    }

    @Override
    public void close() {
        predictor.close();
        manager.close();
        model.close();
    }
}
