package org.sepnet.backend.reference;

import java.util.List;
import org.sepnet.backend.Availability;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Checks;
import org.sepnet.backend.host.HostBinaryOp;
import org.sepnet.backend.host.HostConcatOp;
import org.sepnet.backend.host.HostUnaryOp;
import org.sepnet.ops.Activation;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.BinaryOp;
import org.sepnet.ops.ConcatOp;
import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.FcDesc;
import org.sepnet.ops.PoolDesc;
import org.sepnet.ops.PrbDesc;
import org.sepnet.ops.UnaryOp;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * The pure-Java reference backend: always available, slow, exact up to double accumulation. Every
 * op's implementation is named {@code reference}.
 */
public final class ReferenceBackend implements Backend {
    /** Name used by {@code -Dsepnet.backend}. */
    public static final String NAME = "reference";
    private static final String IMPL = "reference";
    private static final ReferenceBackend INSTANCE = new ReferenceBackend();

    private ReferenceBackend() {}

    /** The backend. */
    public static ReferenceBackend instance() {
        return INSTANCE;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability availability() {
        return Availability.available("pure Java, double accumulation, " + Runtime.version() + " on "
                + System.getProperty("os.arch"));
    }

    @Override
    public Tensor allocate(Shape shape) {
        return HostTensor.allocate(shape);
    }

    @Override
    public UnaryOp conv2d(ConvDesc d, ConvWeights w, Activation act) {
        d.requireWeights(w);
        float[] weights = w.weights();
        float[] bias = w.bias();
        return op(d.problem(), d::outputShape, (x, y, n) -> ReferenceConv.conv2d(d, n, x, weights, bias, act, y));
    }

    @Override
    public UnaryOp patternConv2d(ConvDesc d, PatternWeights w, Activation act) {
        d.requireWeights(w);
        int[] bits = w.bits();
        float[] alpha = w.alpha();
        float[] bias = w.bias();
        return op(d.problem(), d::outputShape,
                (x, y, n) -> ReferenceConv.patternConv2d(d, n, x, bits, alpha, bias, act, y));
    }

    @Override
    public UnaryOp patternResidualBlock(PrbDesc d, PatternWeights pattern, ConvWeights pointwise, Activation act) {
        Checks.requirePrbWeights(d, pattern, pointwise);
        int[] bits = pattern.bits();
        float[] alpha = pattern.alpha();
        float[] w1 = pointwise.weights();
        float[] bias = Checks.prbBias(pattern, pointwise);
        return op(d.problem(), s -> d.pattern().outputShape(s),
                (x, y, n) -> ReferenceConv.patternResidualBlock(d, n, x, bits, alpha, w1, bias, act, y));
    }

    @Override
    public UnaryOp batchNorm(Shape maxShape, BatchNormParams p, Activation act) {
        if (maxShape.rank() < 2 || maxShape.dim(1) != p.channels()) {
            throw new IllegalArgumentException("batch norm of " + p.channels() + " channels cannot take shape " + maxShape
                    + "; expected [n, " + p.channels() + ", ...]");
        }
        double[] scale = p.scale();
        double[] shift = p.shift();
        int inner = (int) (maxShape.size() / maxShape.dim(0) / maxShape.dim(1));
        return op("batchnorm_" + maxShape.toDimsString(), s -> Checks.sameShape(maxShape, s),
                (x, y, n) -> ReferenceLayers.batchNorm(n, p.channels(), inner, scale, shift, act, x, y));
    }

    @Override
    public UnaryOp activation(Shape maxShape, Activation act) {
        int perSample = (int) (maxShape.size() / maxShape.dim(0));
        return op(act.name().toLowerCase() + "_" + maxShape.toDimsString(), s -> Checks.sameShape(maxShape, s),
                (x, y, n) -> ReferenceLayers.activation(n * perSample, act, x, y));
    }

    @Override
    public BinaryOp add(Shape maxShape, Activation act) {
        return new HostBinaryOp(NAME, maxShape, IMPL, (a, b, out, count) -> ReferenceLayers.add(count, act, a, b, out));
    }

    @Override
    public ConcatOp concat(List<Shape> maxInputShapes) {
        return new HostConcatOp(NAME, maxInputShapes, IMPL);
    }

    @Override
    public UnaryOp pool(PoolDesc d) {
        return op(d.problem(), d::outputShape, (x, y, n) -> ReferenceLayers.pool(d, n, x, y));
    }

    @Override
    public UnaryOp fullyConnected(FcDesc d, ConvWeights w, Activation act) {
        d.requireWeights(w);
        float[] weights = w.weights();
        float[] bias = w.bias();
        return op(d.problem(), d::outputShape, (x, y, n) -> ReferenceLayers.fullyConnected(d, n, x, weights, bias, act, y));
    }

    @Override
    public UnaryOp softmax(Shape maxShape) {
        int classes = (int) (maxShape.size() / maxShape.dim(0));
        return op("softmax_" + maxShape.toDimsString(), s -> Checks.sameShape(maxShape, s),
                (x, y, n) -> ReferenceLayers.softmax(n, classes, x, y));
    }

    private static UnaryOp op(String problem, java.util.function.UnaryOperator<Shape> out,
                              org.sepnet.backend.host.HostKernel kernel) {
        return new HostUnaryOp(NAME, problem, IMPL, out, kernel);
    }
}
