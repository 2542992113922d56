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
 * The CPU peer: ONNX Runtime running a model exported by the library's {@link OnnxExporter}, with a
 * given thread count (sequential execution, all graph optimizations), input and output bound to
 * our host tensors' memory so no run copies anything.
 */
public final class OnnxRuntimeModel implements AutoCloseable {
    private final OrtSession session;
    private final OnnxTensor input;
    private final OnnxTensor output;
    private final Map<String, OnnxTensor> inputs;
    private final Map<String, OnnxTensor> outputs;

    /** Binds {@code x} and {@code y} (full-batch host tensors) as the input and output of {@code model}. */
    public OnnxRuntimeModel(Model model, int threads, HostTensor x, HostTensor y) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(OnnxExporter.encode(model), opts);
        }
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

    /** The one-layer model [Relu](Conv(X)) of problem {@code d} with weights {@code w}. */
    public static Model conv(ConvDesc d, ConvWeights w, boolean relu) {
        List<Layer> layers = new ArrayList<>();
        layers.add(new Conv2d("conv", spec(d), w));
        if (relu) {
            layers.add(new Relu("relu"));
        }
        return new Model("conv", "", new Sequential("conv", layers), Shape.of(d.inChannels(), d.inHeight(), d.inWidth()));
    }

    /** The layer geometry of problem {@code d}. */
    public static ConvSpec spec(ConvDesc d) {
        return new ConvSpec(d.inChannels(), d.outChannels(), d.kernelHeight(), d.kernelWidth(), d.strideHeight(), d.strideWidth(),
                d.padHeight(), d.padWidth(), d.dilationHeight(), d.dilationWidth(), d.groups());
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
