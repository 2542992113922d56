package org.sepnet.bench.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sepnet.io.OnnxExporter;
import org.sepnet.layers.Conv2d;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Relu;
import org.sepnet.layers.Sequential;
import org.sepnet.models.Model;
import org.sepnet.ops.ConvDesc;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;

/**
 * The CPU peer: ONNX Runtime running a one-layer float32 Conv (+ Relu) model exported by the library, with the
 * same thread count, input and output bound to our host tensors' memory (no copies per run).
 */
public final class OnnxRuntimeConv implements AutoCloseable {
    private final OrtSession session;
    private final OnnxTensor input;
    private final OnnxTensor output;
    private final Map<String, OnnxTensor> inputs;
    private final Map<String, OnnxTensor> outputs;

    /** Binds {@code x} and {@code y} (full-batch host tensors of {@code d}) as the model's input and output. */
    public OnnxRuntimeConv(ConvDesc d, ConvWeights w, boolean relu, int threads, HostTensor x, HostTensor y) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(threads);
        opts.setInterOpNumThreads(1);
        opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = env.createSession(model(d, w, relu), opts);
        input = OnnxTensor.createTensor(env, x.buffer(), longs(x.shape().dims()));
        output = OnnxTensor.createTensor(env, y.buffer(), longs(y.shape().dims()));
        inputs = Map.of("input", input);
        outputs = Map.of("output", output);
    }

    /** Runs the model; the result lands in the bound output tensor. */
    public void run() throws OrtException {
        try (OrtSession.Result r = session.run(inputs, outputs)) {
            if (r.size() != 1) {
                throw new IllegalStateException("expected one output, got " + r.size());
            }
        }
    }

    /** The one-layer model [Relu](Conv(X)) as ONNX, written by the library's exporter. */
    static byte[] model(ConvDesc d, ConvWeights w, boolean relu) {
        ConvSpec spec = new ConvSpec(d.inChannels(), d.outChannels(), d.kernelHeight(), d.kernelWidth(), d.strideHeight(),
                d.strideWidth(), d.padHeight(), d.padWidth(), d.dilationHeight(), d.dilationWidth(), d.groups());
        List<Layer> layers = new ArrayList<>();
        layers.add(new Conv2d("conv", spec, w));
        if (relu) {
            layers.add(new Relu("relu"));
        }
        return OnnxExporter.encode(new Model("conv", "", new Sequential("conv", layers),
                Shape.of(d.inChannels(), d.inHeight(), d.inWidth())));
    }

    private static long[] longs(int[] v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            l[i] = v[i];
        }
        return l;
    }

    @Override
    public void close() throws OrtException {
        input.close();
        output.close();
        session.close();
    }
}
