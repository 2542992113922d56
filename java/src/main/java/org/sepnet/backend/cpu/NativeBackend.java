package org.sepnet.backend.cpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.List;
import org.sepnet.backend.Availability;
import org.sepnet.backend.Backend;
import org.sepnet.backend.BuildInfo;
import org.sepnet.backend.Checks;
import org.sepnet.backend.host.HostUnaryOp;
import org.sepnet.backend.reference.ReferenceBackend;
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
 * The native CPU backend. Pattern convolution and the fused pattern residual block run native C++
 * kernels ({@code native/}); the other ops run the reference implementation until their native
 * kernels land, which their {@link org.sepnet.ops.Op#implementation()} names. Weights are copied
 * into direct buffers once, when an op is built.
 */
public final class NativeBackend implements Backend {
    /** Name used by {@code -Dsepnet.backend}. */
    public static final String NAME = "native";
    /** ABI version this binding expects ({@code SEPNET_NATIVE_ABI_VERSION}). */
    static final int ABI_VERSION = 1;

    private static volatile NativeBackend instance;

    private final Availability availability;

    private NativeBackend(Availability availability) {
        this.availability = availability;
    }

    /** The backend; probing (loading the library) happens once, on first use. */
    public static NativeBackend instance() {
        NativeBackend b = instance;
        if (b == null) {
            synchronized (NativeBackend.class) {
                b = instance;
                if (b == null) {
                    b = new NativeBackend(probe());
                    instance = b;
                }
            }
        }
        return b;
    }

    private static Availability probe() {
        if (!BuildInfo.built("native.library")) {
            return Availability.unavailable("the native library is not in this jar: " + BuildInfo.skipReason("native"));
        }
        String arch = System.getProperty("os.arch");
        if (!System.getProperty("os.name", "").toLowerCase().startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return Availability.unavailable("the native library is built for linux-x86_64; this is "
                    + System.getProperty("os.name") + " " + arch);
        }
        try {
            int abi = NativeKernels.sepnet_native_abi_version();
            if (abi != ABI_VERSION) {
                return Availability.unavailable("the native library has ABI version " + abi + "; this binding expects " + ABI_VERSION);
            }
            return Availability.available("C++ kernels, CPU features: " + NativeKernels.sepnet_native_cpu_features()
                    + ", " + Runtime.getRuntime().availableProcessors() + " cores visible (single-threaded kernels)");
        } catch (LinkageError e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            return Availability.unavailable("the native library could not be loaded: " + root);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability availability() {
        return availability;
    }

    @Override
    public Tensor allocate(Shape shape) {
        return HostTensor.allocate(shape);
    }

    @Override
    public UnaryOp patternConv2d(ConvDesc d, PatternWeights w, Activation act) {
        requireAvailable();
        d.requireWeights(w);
        IntBuffer bits = direct(w.bits());
        FloatBuffer alpha = direct(w.alpha());
        FloatBuffer bias = w.hasBias() ? direct(w.bias()) : null;
        int[] problem = d.toNativeArray(d.batch());
        int relu = act == Activation.RELU ? 1 : 0;
        return new HostUnaryOp(NAME, d.problem(), "native:pattern_conv_direct_xor", d::outputShape, (x, y, n) -> {
            problem[0] = n;
            check(NativeKernels.sepnet_pattern_conv2d(x, bits, alpha, bias, y, problem, relu), d.problem());
        }, () -> {});
    }

    @Override
    public UnaryOp patternResidualBlock(PrbDesc d, PatternWeights pattern, ConvWeights pointwise, Activation act) {
        requireAvailable();
        Checks.requirePrbWeights(d, pattern, pointwise);
        IntBuffer bits = direct(pattern.bits());
        FloatBuffer alpha = direct(pattern.alpha());
        FloatBuffer w1 = direct(pointwise.weights());
        float[] b = Checks.prbBias(pattern, pointwise);
        FloatBuffer bias = b == null ? null : direct(b);
        int[] problem = d.pattern().toNativeArray(d.pattern().batch());
        int groups1 = d.pointwise().groups();
        int relu = act == Activation.RELU ? 1 : 0;
        return new HostUnaryOp(NAME, d.problem(), "native:prb_direct_xor", s -> d.pattern().outputShape(s), (x, y, n) -> {
            problem[0] = n;
            check(NativeKernels.sepnet_prb_conv2d(x, bits, alpha, w1, bias, y, problem, groups1, relu), d.problem());
        }, () -> {});
    }

    // Ops below have no native kernel yet: the reference implementation runs them on the same host
    // tensors, and their implementation() says "reference".

    @Override
    public UnaryOp conv2d(ConvDesc d, ConvWeights w, Activation act) {
        requireAvailable();
        return ReferenceBackend.instance().conv2d(d, w, act);
    }

    @Override
    public UnaryOp pointwiseConv2d(ConvDesc d, ConvWeights w, Activation act) {
        requireAvailable();
        return ReferenceBackend.instance().pointwiseConv2d(d, w, act);
    }

    @Override
    public UnaryOp batchNorm(Shape maxShape, BatchNormParams params, Activation act) {
        requireAvailable();
        return ReferenceBackend.instance().batchNorm(maxShape, params, act);
    }

    @Override
    public UnaryOp activation(Shape maxShape, Activation act) {
        requireAvailable();
        return ReferenceBackend.instance().activation(maxShape, act);
    }

    @Override
    public BinaryOp add(Shape maxShape, Activation act) {
        requireAvailable();
        return ReferenceBackend.instance().add(maxShape, act);
    }

    @Override
    public ConcatOp concat(List<Shape> maxInputShapes) {
        requireAvailable();
        return ReferenceBackend.instance().concat(maxInputShapes);
    }

    @Override
    public UnaryOp pool(PoolDesc d) {
        requireAvailable();
        return ReferenceBackend.instance().pool(d);
    }

    @Override
    public UnaryOp fullyConnected(FcDesc d, ConvWeights w, Activation act) {
        requireAvailable();
        return ReferenceBackend.instance().fullyConnected(d, w, act);
    }

    @Override
    public UnaryOp softmax(Shape maxShape) {
        requireAvailable();
        return ReferenceBackend.instance().softmax(maxShape);
    }

    private void requireAvailable() {
        if (!availability.available()) {
            throw new IllegalStateException("the native backend is unavailable: " + availability.detail());
        }
    }

    private static void check(int status, String problem) {
        if (status != 0) {
            throw new IllegalStateException("native kernel failed with status " + status + " on " + problem
                    + " (the Java side validated it: this is a bug)");
        }
    }

    private static IntBuffer direct(int[] values) {
        IntBuffer b = ByteBuffer.allocateDirect(values.length * Integer.BYTES).order(ByteOrder.nativeOrder()).asIntBuffer();
        b.put(0, values);
        return b;
    }

    private static FloatBuffer direct(float[] values) {
        FloatBuffer b = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        b.put(0, values);
        return b;
    }
}
