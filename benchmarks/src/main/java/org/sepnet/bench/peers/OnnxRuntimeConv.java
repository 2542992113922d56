package org.sepnet.bench.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.Map;
import org.sepnet.ops.ConvDesc;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;

/**
 * The CPU peer: ONNX Runtime running a one-node float32 Conv (+ Relu) model built here, with the
 * same thread count, input and output bound to our host tensors' memory (no copies per run).
 */
public final class OnnxRuntimeConv implements AutoCloseable {
    private static final int FLOAT = 1;
    private static final int ATTR_INT = 2;
    private static final int ATTR_INTS = 7;

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
        inputs = Map.of("X", input);
        outputs = Map.of("Y", output);
    }

    /** Runs the model; the result lands in the bound output tensor. */
    public void run() throws OrtException {
        try (OrtSession.Result r = session.run(inputs, outputs)) {
            if (r.size() != 1) {
                throw new IllegalStateException("expected one output, got " + r.size());
            }
        }
    }

    /** ONNX opset 13 model bytes: Y = [Relu](Conv(X, W, B)). */
    static byte[] model(ConvDesc d, ConvWeights w, boolean relu) {
        String convOut = relu ? "C" : "Y";
        ProtoWriter conv = new ProtoWriter().string(1, "X").string(1, "W");
        if (w.hasBias()) {
            conv.string(1, "B");
        }
        conv.string(2, convOut).string(3, "conv").string(4, "Conv")
                .message(5, ints("kernel_shape", d.kernelHeight(), d.kernelWidth()))
                .message(5, ints("strides", d.strideHeight(), d.strideWidth()))
                .message(5, ints("pads", d.padHeight(), d.padWidth(), d.padHeight(), d.padWidth()))
                .message(5, ints("dilations", d.dilationHeight(), d.dilationWidth()))
                .message(5, new ProtoWriter().string(1, "group").int64(3, d.groups()).int64(20, ATTR_INT));
        ProtoWriter graph = new ProtoWriter().message(1, conv);
        if (relu) {
            graph.message(1, new ProtoWriter().string(1, "C").string(2, "Y").string(3, "relu").string(4, "Relu"));
        }
        graph.string(2, "sepnet_conv_peer")
                .message(5, tensor("W", w.weights(), w.outChannels(), w.inChannelsPerGroup(), w.kh(), w.kw()));
        if (w.hasBias()) {
            graph.message(5, tensor("B", w.bias(), w.outChannels()));
        }
        graph.message(11, valueInfo("X", d.batch(), d.inChannels(), d.inHeight(), d.inWidth()))
                .message(12, valueInfo("Y", d.batch(), d.outChannels(), d.outHeight(), d.outWidth()));
        return new ProtoWriter().int64(1, 8).string(2, "sepnet-benchmarks")
                .message(7, graph).message(8, new ProtoWriter().string(1, "").int64(2, 13)).toByteArray();
    }

    private static ProtoWriter ints(String name, int... values) {
        ProtoWriter a = new ProtoWriter().string(1, name);
        for (int v : values) {
            a.int64(8, v);
        }
        return a.int64(20, ATTR_INTS);
    }

    private static ProtoWriter tensor(String name, float[] values, int... dims) {
        ProtoWriter t = new ProtoWriter();
        for (int dim : dims) {
            t.int64(1, dim);
        }
        return t.int64(2, FLOAT).string(8, name).bytes(9, ProtoWriter.floats(values));
    }

    private static ProtoWriter valueInfo(String name, int... dims) {
        ProtoWriter shape = new ProtoWriter();
        for (int dim : dims) {
            shape.message(1, new ProtoWriter().int64(1, dim));
        }
        ProtoWriter tensorType = new ProtoWriter().int64(1, FLOAT).message(2, shape);
        return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
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
