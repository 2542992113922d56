package org.sepnet.backend.cpu;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongFunction;
import org.sepnet.backend.Availability;
import org.sepnet.backend.Backend;
import org.sepnet.backend.BuildInfo;
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
import org.sepnet.tensor.Lifetime;
import org.sepnet.tensor.Shape;
import org.sepnet.tensor.Tensor;

/**
 * The native CPU backend: every op runs C++ kernels from {@code native/} on host tensors, in place.
 * Vectorized for the best instruction set the CPU has (AVX-512, AVX2, or portable SSE2) and
 * multi-threaded; results are identical for any thread count.
 *
 * <p>{@link #instance()} is configured by system properties: {@code sepnet.threads} (default: all
 * cores), {@code sepnet.native.isa} ({@code auto}, {@code avx512}, {@code avx2}, {@code generic})
 * and {@code sepnet.native.pattern} ({@link PatternAlgorithm}: {@code auto}, {@code xor},
 * {@code lookup}, {@code gemm}, {@code winograd}). {@link #create} builds a differently configured backend that the caller closes.
 *
 * <p>Every op holds its own reference to the backend's context (thread pool and kernels): ops and
 * networks built on a backend keep working after the backend is closed or dropped, until they are
 * closed themselves. A closed backend refuses to build ops.
 */
public final class NativeBackend implements Backend, AutoCloseable {
    /** Name used by {@code -Dsepnet.backend}. */
    public static final String NAME = "native";
    /** ABI version this binding expects ({@code SEPNET_NATIVE_ABI_VERSION}). */
    static final int ABI_VERSION = 5;
    /** Most threads a pool may have (the native library's limit). */
    public static final int MAX_THREADS = 1024;

    private static volatile String libraryProblem;
    private static volatile boolean probed;
    private static volatile NativeBackend instance;

    private final Availability availability;
    private final long ctx;
    private final PatternAlgorithm algorithm;
    private final boolean owned;
    /** The lifetime of this backend's handle on the context; null when unavailable. */
    private final Lifetime lifetime;

    private NativeBackend(Availability availability, long ctx, PatternAlgorithm algorithm, boolean owned) {
        this.availability = availability;
        this.ctx = ctx;
        this.algorithm = algorithm;
        this.owned = owned;
        this.lifetime = ctx == 0 ? null : new Lifetime(this, "native backend", 0, () -> NativeKernels.sepnet_context_destroy(ctx));
    }

    /** The shared backend, configured by system properties; probing happens once, on first use. */
    public static NativeBackend instance() {
        NativeBackend b = instance;
        if (b == null) {
            synchronized (NativeBackend.class) {
                b = instance;
                if (b == null) {
                    String problem = propertyProblem();
                    b = problem != null ? new NativeBackend(Availability.unavailable(problem), 0, PatternAlgorithm.AUTO, false)
                            : build(threadsProperty(), System.getProperty("sepnet.native.isa", "auto"),
                                    PatternAlgorithm.parse(System.getProperty("sepnet.native.pattern", "auto")), false);
                    instance = b;
                }
            }
        }
        return b;
    }

    /**
     * What is wrong with the {@code sepnet.threads} and {@code sepnet.native.pattern} properties
     * that configure {@link #instance()}, in one line naming the value and what was expected; null
     * when they are unset or valid.
     */
    public static String propertyProblem() {
        String threads = System.getProperty("sepnet.threads");
        if (threads != null) {
            int t;
            try {
                t = Integer.parseInt(threads.strip());
            } catch (NumberFormatException e) {
                t = -1;
            }
            if (t < 1 || t > MAX_THREADS) {
                return "-Dsepnet.threads=" + threads + "; expected a whole number from 1 to " + MAX_THREADS;
            }
        }
        try {
            PatternAlgorithm.parse(System.getProperty("sepnet.native.pattern", "auto"));
        } catch (IllegalArgumentException e) {
            return "-Dsepnet.native.pattern: " + e.getMessage();
        }
        return null;
    }

    private static int threadsProperty() {
        String threads = System.getProperty("sepnet.threads");
        return threads == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads.strip());
    }

    /**
     * A native backend with its own thread pool; close it when done (ops built by it stay valid
     * until they are closed).
     *
     * @param threads worker threads, 1 or more
     * @param isa {@code auto} or one of {@link #instructionSets()}
     * @throws IllegalArgumentException for a bad thread count or an instruction set this CPU lacks
     * @throws IllegalStateException when the native library is unavailable
     */
    public static NativeBackend create(int threads, String isa, PatternAlgorithm algorithm) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads is " + threads + "; expected 1 to " + MAX_THREADS);
        }
        NativeBackend b = build(threads, isa, algorithm, true);
        if (!b.availability.available()) {
            if (libraryProblem != null) {
                throw new IllegalStateException("the native backend is unavailable: " + libraryProblem);
            }
            throw new IllegalArgumentException(b.availability.detail());
        }
        return b;
    }

    /** Instruction sets this CPU can run among those compiled in, best first (empty without the library). */
    public static List<String> instructionSets() {
        return loadLibrary() == null ? Arrays.asList(NativeKernels.sepnet_native_isas().split(" ")) : List.of();
    }

    private static NativeBackend build(int threads, String isa, PatternAlgorithm algorithm, boolean owned) {
        String problem = loadLibrary();
        if (problem != null) {
            return new NativeBackend(Availability.unavailable(problem), 0, algorithm, owned);
        }
        if (threads < 1 || threads > MAX_THREADS) {
            return new NativeBackend(Availability.unavailable("-Dsepnet.threads=" + threads + "; expected 1 to " + MAX_THREADS), 0,
                    algorithm, owned);
        }
        long ctx = NativeKernels.sepnet_context_create(threads, isa);
        if (ctx == 0) {
            return new NativeBackend(Availability.unavailable("instruction set '" + isa + "': "
                    + NativeKernels.sepnet_last_error()), 0, algorithm, owned);
        }
        String detail = "C++ kernels, " + NativeKernels.sepnet_context_isa(ctx) + ", "
                + NativeKernels.sepnet_context_threads(ctx) + " thread" + (threads == 1 ? "" : "s")
                + ", pattern algorithm " + algorithm.name().toLowerCase() + " (CPU: "
                + NativeKernels.sepnet_native_cpu_features() + ")";
        return new NativeBackend(Availability.available(detail), ctx, algorithm, owned);
    }

    /** Loads the library once; null when usable, else why not. */
    private static synchronized String loadLibrary() {
        if (probed) {
            return libraryProblem;
        }
        probed = true;
        if (!BuildInfo.built("native.library")) {
            libraryProblem = "the native library is not in this jar: " + BuildInfo.skipReason("native");
            return libraryProblem;
        }
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.toLowerCase().startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            libraryProblem = "the native library is built for linux-x86_64; this is " + os + " " + arch;
            return libraryProblem;
        }
        try {
            int abi = NativeKernels.sepnet_native_abi_version();
            if (abi != ABI_VERSION) {
                libraryProblem = "the native library has ABI version " + abi + "; this binding expects " + ABI_VERSION;
            }
        } catch (LinkageError e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            libraryProblem = "the native library could not be loaded: " + root;
        }
        return libraryProblem;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability availability() {
        return availability;
    }

    /** The instruction set this backend's kernels use. */
    public String instructionSet() {
        return withContext(NativeKernels::sepnet_context_isa);
    }

    /** Threads in this backend's pool. */
    public int threads() {
        return withContext(NativeKernels::sepnet_context_threads);
    }

    /**
     * This backend's measured peak: vector multiply-add throughput of its instruction set on all its
     * threads, run for about {@code millis} ms, in GFLOP/s (a fused multiply-add counts 2). The
     * denominator for "percent of peak" figures.
     */
    public double measurePeakGflops(int millis) {
        if (millis < 1 || millis > 60_000) {
            throw new IllegalArgumentException("millis is " + millis + "; expected 1 to 60000");
        }
        return withContext(c -> NativeKernels.sepnet_measure_peak_gflops(c, millis));
    }

    @Override
    public Tensor allocate(Shape shape) {
        return HostTensor.allocate(shape);
    }

    @Override
    public UnaryOp conv2d(ConvDesc d, ConvWeights w, Activation act) {
        d.requireWeights(w);
        long h = withContext(c -> NativeKernels.sepnet_conv_create(c, problem(d), w.weights(), w.bias(), relu(act)));
        return new NativeOp(created(h, d.problem()), d.problem(), d::outputShape, bytes(w.weights()));
    }

    @Override
    public UnaryOp patternConv2d(ConvDesc d, PatternWeights w, Activation act) {
        d.requireWeights(w);
        long h = withContext(c -> NativeKernels.sepnet_pattern_conv_create(c, problem(d), w.bits(), w.alpha(),
                w.bias(), relu(act), algorithm.code));
        return new NativeOp(created(h, d.problem(), algorithm), d.problem(), d::outputShape, 4L * w.bits().length);
    }

    @Override
    public UnaryOp patternResidualBlock(PrbDesc d, PatternWeights pattern, ConvWeights pointwise, Activation act) {
        Checks.requirePrbWeights(d, pattern, pointwise);
        ConvDesc k = d.pattern();
        long h = withContext(c -> NativeKernels.sepnet_prb_create(c, problem(k), pattern.bits(), pattern.alpha(),
                pointwise.weights(), d.pointwise().groups(), Checks.prbBias(pattern, pointwise), relu(act), algorithm.code));
        return new NativeOp(created(h, d.problem(), algorithm), d.problem(), s -> k.outputShape(s),
                4L * pattern.bits().length + bytes(pointwise.weights()));
    }

    @Override
    public UnaryOp batchNorm(Shape maxShape, BatchNormParams p, Activation act) {
        if (maxShape.rank() < 2 || maxShape.dim(1) != p.channels()) {
            throw new IllegalArgumentException("batch norm of " + p.channels() + " channels cannot take shape " + maxShape
                    + "; expected [n, " + p.channels() + ", ...]");
        }
        long inner = maxShape.size() / maxShape.dim(0) / maxShape.dim(1);
        long h = withContext(c -> NativeKernels.sepnet_affine_create(c, maxShape.dim(0), p.channels(), inner,
                toFloat(p.scale()), toFloat(p.shift()), relu(act)));
        String problem = "batchnorm_" + maxShape.toDimsString();
        return new NativeOp(created(h, problem), problem, s -> Checks.sameShape(maxShape, s), 8L * p.channels());
    }

    @Override
    public UnaryOp activation(Shape maxShape, Activation act) {
        long ctx = retainContext();
        String problem = act.name().toLowerCase() + "_" + maxShape.toDimsString();
        long perSample = maxShape.size() / maxShape.dim(0);
        return new HostUnaryOp(NAME, problem, act == Activation.RELU ? "native:relu" : "native:copy", s -> Checks.sameShape(maxShape, s),
                (x, y, n) -> {
                    if (act == Activation.RELU) {
                        check(NativeKernels.sepnet_relu(ctx, x, y, n * perSample), "relu", problem);
                    } else {
                        check(NativeKernels.sepnet_copy_blocks(ctx, x, y, 1, n * perSample, n * perSample, 0), "copy", problem);
                    }
                }, 0, () -> NativeKernels.sepnet_context_destroy(ctx));
    }

    @Override
    public BinaryOp add(Shape maxShape, Activation act) {
        long ctx = retainContext();
        return new HostBinaryOp(NAME, maxShape, "native:add", (a, b, out, count) ->
                check(NativeKernels.sepnet_add(ctx, a, b, out, count, relu(act)), "add", maxShape.toDimsString()),
                () -> NativeKernels.sepnet_context_destroy(ctx));
    }

    @Override
    public ConcatOp concat(List<Shape> maxInputShapes) {
        org.sepnet.backend.Checks.concatOutput(maxInputShapes);  // refuse before taking a context reference
        long ctx = retainContext();
        return new HostConcatOp(NAME, maxInputShapes, "native:concat", () -> NativeKernels.sepnet_context_destroy(ctx)) {
            @Override
            protected void copy(FloatBuffer src, FloatBuffer dst, int batch, int srcBlock, int dstBlock, int offset) {
                check(NativeKernels.sepnet_copy_blocks(ctx, src, dst, batch, srcBlock, dstBlock, offset), "concat", problem());
            }
        };
    }

    @Override
    public UnaryOp pool(PoolDesc d) {
        int[] geometry = {d.batch(), d.channels(), d.inHeight(), d.inWidth(), d.kernelHeight(), d.kernelWidth(),
                d.strideHeight(), d.strideWidth(), d.padHeight(), d.padWidth(), d.outHeight(), d.outWidth()};
        long h = withContext(c -> NativeKernels.sepnet_pool_create(c, d.kind() == PoolDesc.Kind.MAX ? 1 : 0, geometry,
                d.countIncludePad() ? 1 : 0));
        return new NativeOp(created(h, d.problem()), d.problem(), d::outputShape, 0);
    }

    @Override
    public UnaryOp fullyConnected(FcDesc d, ConvWeights w, Activation act) {
        d.requireWeights(w);
        long h = withContext(c -> NativeKernels.sepnet_fc_create(c, d.batch(), d.in(), d.out(), w.weights(), w.bias(), relu(act)));
        return new NativeOp(created(h, d.problem()), d.problem(), d::outputShape, bytes(w.weights()));
    }

    @Override
    public org.sepnet.backend.TrainOps trainOps() {
        return new NativeTrainOps(retainContext());
    }

    @Override
    public UnaryOp softmax(Shape maxShape) {
        int classes = (int) (maxShape.size() / maxShape.dim(0));
        String problem = "softmax_" + maxShape.toDimsString();
        long ctx = retainContext();
        return new HostUnaryOp(NAME, problem, "native:softmax", s -> Checks.sameShape(maxShape, s),
                (x, y, n) -> check(NativeKernels.sepnet_softmax(ctx, x, y, n, classes), "softmax", problem), 0,
                () -> NativeKernels.sepnet_context_destroy(ctx));
    }

    /**
     * Releases this backend's thread pool, which ops it built keep alive until they are closed; a
     * closed backend refuses to build ops. The shared {@link #instance()} is never released. Idempotent.
     */
    @Override
    public void close() {
        if (owned && lifetime != null) {
            lifetime.close();
        }
    }

    /** Calls {@code f} with this backend's context handle, which stays valid for the call. */
    private <T> T withContext(LongFunction<T> f) {
        if (ctx == 0) {
            throw new IllegalStateException("the native backend is unavailable: " + availability.detail());
        }
        if (!lifetime.enter()) {
            throw new IllegalStateException("this native backend (" + availability.detail() + ") is closed; build ops on an open"
                    + " backend, such as NativeBackend.instance()");
        }
        try {
            return f.apply(ctx);
        } finally {
            lifetime.exit();
        }
    }

    /** A handle of its own on this backend's context, for an op to destroy when it is released. */
    long retainContext() {
        long h = withContext(NativeKernels::sepnet_context_retain);
        if (h == 0) {
            throw new IllegalStateException("native context: " + NativeKernels.sepnet_last_error());
        }
        return h;
    }

    private static long bytes(float[] a) {
        return a == null ? 0 : 4L * a.length;
    }

    /** The C ABI's 14-int convolution problem (sepnet_native.h): n, c, h, w, o, groups, kh, kw, sh, sw, ph, pw, dh, dw. */
    static int[] problem(ConvDesc d) {
        return new int[] {d.batch(), d.inChannels(), d.inHeight(), d.inWidth(), d.outChannels(), d.groups(), d.kernelHeight(),
                d.kernelWidth(), d.strideHeight(), d.strideWidth(), d.padHeight(), d.padWidth(), d.dilationHeight(), d.dilationWidth()};
    }

    private static long created(long handle, String problem) {
        return created(handle, problem, PatternAlgorithm.AUTO);
    }

    /** A forced pattern algorithm that cannot run a problem is the caller's choice: an IllegalArgumentException. */
    private static long created(long handle, String problem, PatternAlgorithm algorithm) {
        if (handle == 0) {
            String why = "the native library refused " + problem + ": " + NativeKernels.sepnet_last_error();
            throw algorithm == PatternAlgorithm.AUTO ? new IllegalStateException(why) : new IllegalArgumentException(why);
        }
        return handle;
    }

    /**
     * The native convolution implementations in rank order, one per line, with the rule by which
     * {@link PatternAlgorithm#AUTO} takes each (empty without the library).
     */
    public static String convolutionRanking() {
        return loadLibrary() == null ? NativeKernels.sepnet_native_conv_ranking() : "";
    }

    static void check(int status, String kernel, String problem) {
        if (status != 0) {
            throw new IllegalStateException("native kernel " + kernel + " failed with status " + status + " on " + problem
                    + " (arguments were validated in Java: this is a bug)");
        }
    }

    private static int relu(Activation act) {
        return act == Activation.RELU ? 1 : 0;
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
