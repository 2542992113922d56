package org.sepnet.predict;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.backend.cpu.PatternAlgorithm;
import org.sepnet.io.ModelIO;
import org.sepnet.io.Pretrained;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Softmax;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.runtime.Network;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Shape;

/**
 * A model ready to classify: loaded once, compiled for a backend, images in, {@link Classifications}
 * out. Images are given as values in [0, 1] (pixel/255), channels first, or as
 * {@link BufferedImage}s (resized to the model's input with bilinear filtering; gray models take
 * the luminance, three-channel models red, green, blue); either way the normalization the model
 * stores is applied before the network ({@link Builder#raw()} turns that off).
 *
 * <p>Thread-safe: concurrent callers each get a compiled network from a pool of at most
 * {@link Builder#concurrency(int)} (compiled on first need; further callers wait for one to be
 * free). Close it to release the networks and any backend it created.
 *
 * <pre>{@code
 * try (Predictor p = Predictor.builder().model("resnet20-fmnist-bq").build()) {
 *     Classifications c = p.predict(ImageIO.read(new File("shoe.png")));
 *     System.out.println(c.best().label() + " " + c.best().probability());
 * }
 * }</pre>
 */
public final class Predictor implements AutoCloseable {
    private final Model model;
    private final Layer graph;
    private final Backend backend;
    private final boolean ownsBackend;
    private final int maxBatch;
    private final boolean raw;
    private final BlockingQueue<Network> idle;
    private final List<Network> all = new ArrayList<>();
    private final int concurrency;
    private final int classes;
    /** Threads of each caller's own native pool, or 0 when every network runs on {@link #backend}. */
    private final int threadsPerCaller;
    private final List<NativeBackend> callerPools = new ArrayList<>();
    private volatile boolean closed;

    private Predictor(Model model, Backend backend, boolean ownsBackend, int maxBatch, int concurrency, boolean raw, int threadsPerCaller) {
        this.model = model;
        this.graph = withoutFinalSoftmax(model.graph());
        this.backend = backend;
        this.ownsBackend = ownsBackend;
        this.maxBatch = maxBatch;
        this.raw = raw;
        this.concurrency = concurrency;
        this.idle = new ArrayBlockingQueue<>(concurrency);
        this.classes = (int) graph.outputShape(model.input()).size();
        this.threadsPerCaller = threadsPerCaller;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How to build a {@link Predictor}: the model is required, everything else has a default. */
    public static final class Builder {
        private Model model;
        private Path file;
        private String name;
        private String backend = "auto";
        private int threads;
        private int threadsPerCaller;
        private int maxBatch = 32;
        private int concurrency = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        private boolean raw;
        private org.sepnet.data.Normalization normalization;

        private Builder() {}

        /** A layer graph taking images of {@code input} ([C, H, W]); it knows no normalization or class names. */
        public Builder model(Layer graph, Shape input) {
            this.model = new Model(graph.name(), "a layer graph", graph, input);
            return this;
        }

        /** Normalize images with these statistics instead of the ones the model stores (or has none of). */
        public Builder normalization(org.sepnet.data.Normalization n) {
            this.normalization = n;
            return this;
        }

        /** A model file: {@code .sepnet}, {@code .onnx} or {@code .caffemodel}. */
        public Builder model(Path modelFile) {
            this.file = modelFile;
            return this;
        }

        /** A trained model shipped in the jar ({@link Pretrained#names()}), or a zoo model (random weights: for trying things out). */
        public Builder model(String trainedOrZooName) {
            this.name = trainedOrZooName;
            return this;
        }

        public Builder model(Model m) {
            this.model = m;
            return this;
        }

        /** {@code auto} (the best available, default) or a backend name: {@code cuda}, {@code native}, {@code reference}. */
        public Builder backend(String nameOrAuto) {
            this.backend = nameOrAuto;
            return this;
        }

        /** Native backend threads for this predictor's own pool (default: the shared backend, {@code -Dsepnet.threads} or every core). */
        public Builder threads(int n) {
            if (n < 1 || n > NativeBackend.MAX_THREADS) {
                throw new IllegalArgumentException("threads " + n + "; expected 1 to " + NativeBackend.MAX_THREADS);
            }
            this.threads = n;
            return this;
        }

        /**
         * Native backend: each concurrent caller's network gets a pool of its own with {@code n} threads, so
         * callers compute side by side (with {@link #threads} they share one pool and take turns on its loops).
         * Up to {@link #concurrency} × n threads in all.
         */
        public Builder threadsPerCaller(int n) {
            if (n < 1 || n > NativeBackend.MAX_THREADS) {
                throw new IllegalArgumentException("threadsPerCaller " + n + "; expected 1 to " + NativeBackend.MAX_THREADS);
            }
            this.threadsPerCaller = n;
            return this;
        }

        /** Images per forward pass (default 32): larger lists are classified in batches of this size. */
        public Builder maxBatch(int n) {
            if (n < 1 || n > 4096) {
                throw new IllegalArgumentException("maxBatch " + n + "; expected 1 to 4096");
            }
            this.maxBatch = n;
            return this;
        }

        /** Most callers served at once, each with its own compiled network (default: cores, at most 4). */
        public Builder concurrency(int n) {
            if (n < 1 || n > 256) {
                throw new IllegalArgumentException("concurrency " + n + "; expected 1 to 256");
            }
            this.concurrency = n;
            return this;
        }

        /** Give images to the network as they are, without the model's stored normalization. */
        public Builder raw() {
            this.raw = true;
            return this;
        }

        /**
         * Loads the model and chooses the backend.
         *
         * @throws IllegalArgumentException for no model, an unknown name or backend, a model whose input is not [C, H, W]
         * @throws IllegalStateException when the named backend is unavailable, saying why
         * @throws IOException when the model file cannot be read
         */
        public Predictor build() throws IOException {
            int given = (model != null ? 1 : 0) + (file != null ? 1 : 0) + (name != null ? 1 : 0);
            if (given != 1) {
                throw new IllegalArgumentException(given == 0 ? "no model: call model(...)" : "model(...) was given " + given + " times");
            }
            Model m = model != null ? model : file != null ? ModelIO.load(file, null)
                    : Pretrained.names().contains(name) ? Pretrained.load(name) : Zoo.build(name, 1);
            if (m.input().rank() != 3) {
                throw new IllegalArgumentException("model " + m.name() + " takes " + m.input() + "; a predictor classifies [C, H, W] images");
            }
            if (normalization != null) {
                m = m.withData(normalization, m.labels());
            }
            if (threadsPerCaller > 0 && threads > 0) {
                throw new IllegalArgumentException("threads(" + threads + ") and threadsPerCaller(" + threadsPerCaller + ") both given; "
                        + "expected one: a shared pool or one pool per caller");
            }
            Backend b;
            boolean owns = false;
            if (threadsPerCaller > 0) {
                b = backend.equals("auto") ? Backends.best() : Backends.byName(backend);
                if (!b.name().equals(NativeBackend.NAME)) {
                    throw new IllegalArgumentException("threadsPerCaller is for the native backend; this predictor runs on " + b.name());
                }
                if (!b.availability().available()) {
                    throw new IllegalStateException("backend " + b.name() + " is unavailable: " + b.availability().detail());
                }
            } else if (threads > 0 && (backend.equals("auto") || backend.equals(NativeBackend.NAME))
                    && (backend.equals(NativeBackend.NAME) || Backends.best().name().equals(NativeBackend.NAME))) {
                b = NativeBackend.create(threads, "auto", PatternAlgorithm.AUTO);
                owns = true;
            } else if (backend.equals("auto")) {
                b = Backends.best();
            } else {
                b = Backends.byName(backend);
                if (!b.availability().available()) {
                    throw new IllegalStateException("backend " + b.name() + " is unavailable: " + b.availability().detail());
                }
            }
            return new Predictor(m, b, owns, maxBatch, concurrency, raw, threadsPerCaller);
        }
    }

    /** The model, with its input shape, normalization and class names. */
    public Model model() {
        return model;
    }

    /** The backend it computes on. */
    public String backend() {
        return backend.name();
    }

    /** The backend in words: its name, kernels and threads, e.g. {@code native: C++ kernels, avx512, 4 threads, ...}. */
    public String backendDetail() {
        if (threadsPerCaller == 0) {
            return backend.name() + ": " + backend.availability().detail();
        }
        synchronized (all) {
            String pool = callerPools.isEmpty() ? threadsPerCaller + " thread" + (threadsPerCaller == 1 ? "" : "s")
                    : callerPools.get(0).availability().detail();
            return backend.name() + ": " + pool + "; a pool like it per caller, at most " + concurrency + " callers";
        }
    }

    /** One image: [C, H, W] values in [0, 1]. */
    public Classifications predict(float[] image) {
        return predict(image, 1).get(0);
    }

    /** {@code count} images back to back, each [C, H, W] values in [0, 1]. */
    public List<Classifications> predict(float[] images, int count) {
        float[] logits = logits(images, count);
        List<Classifications> out = new ArrayList<>(count);
        for (int n = 0; n < count; n++) {
            out.add(new Classifications(java.util.Arrays.copyOfRange(logits, n * classes, (n + 1) * classes), model.labels()));
        }
        return out;
    }

    /** A batch [n, C, H, W] of values in [0, 1] (a host tensor; the caller keeps and closes it). */
    public List<Classifications> predict(HostTensor images) {
        Shape s = images.shape();
        if (s.rank() != 4 || s.dim(1) != model.input().dim(0) || s.dim(2) != model.input().dim(1) || s.dim(3) != model.input().dim(2)) {
            throw new IllegalArgumentException("images " + s + "; expected [n, " + model.input().toString().substring(1));
        }
        return predict(images.toArray(), s.dim(0));
    }

    public Classifications predict(BufferedImage image) {
        return predict(pixels(image), 1).get(0);
    }

    public List<Classifications> predict(List<BufferedImage> images) {
        int size = (int) model.input().size();
        float[] x = new float[Math.multiplyExact(images.size(), size)];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(pixels(images.get(i)), 0, x, i * size, size);
        }
        return predict(x, images.size());
    }

    /** The raw outputs, [count, classes] flat, of {@code count} images given as {@link #predict(float[], int)} takes them. */
    public float[] logits(float[] images, int count) {
        long size = model.input().size();
        if (count < 1 || images.length != count * size) {
            throw new IllegalArgumentException(images.length + " values for " + count + " images of " + model.input() + "; expected "
                    + count * size + " (and at least one image)");
        }
        float[] x = images.clone();
        if (model.normalization() != null && !raw) {
            model.normalization().apply(x, 0, count, (int) (size / model.normalization().channels()));
        }
        Network net = take();
        try (HostTensor in = HostTensor.of(model.input().withBatch(count), x);
             HostTensor out = HostTensor.allocate(Shape.of(count, classes))) {
            net.forward(in, out);
            return out.toArray();
        } finally {
            idle.add(net);
        }
    }

    /** An image as [C, H, W] values in [0, 1] at the model's input size. */
    public float[] pixels(BufferedImage image) {
        int c = model.input().dim(0);
        int h = model.input().dim(1);
        int w = model.input().dim(2);
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException("model " + model.name() + " takes " + c + "-channel images; BufferedImages give 1 or 3");
        }
        BufferedImage sized = image;
        if (image.getWidth() != w || image.getHeight() != h || image.getType() != BufferedImage.TYPE_INT_RGB) {
            sized = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = sized.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(image, 0, 0, w, h, null);
            g.dispose();
        }
        float[] x = new float[c * h * w];
        for (int y = 0; y < h; y++) {
            for (int i = 0; i < w; i++) {
                int rgb = sized.getRGB(i, y);
                int r = rgb >> 16 & 0xFF;
                int gr = rgb >> 8 & 0xFF;
                int b = rgb & 0xFF;
                if (c == 1) {
                    x[y * w + i] = (float) ((0.299 * r + 0.587 * gr + 0.114 * b) / 255);
                } else {
                    x[y * w + i] = r / 255f;
                    x[h * w + y * w + i] = gr / 255f;
                    x[2 * h * w + y * w + i] = b / 255f;
                }
            }
        }
        return x;
    }

    /** A free network, compiled when fewer than {@code concurrency} exist, else the next one returned. */
    private Network take() {
        if (closed) {
            throw new IllegalStateException("this predictor is closed");
        }
        Network n = idle.poll();
        if (n != null) {
            return n;
        }
        synchronized (all) {
            if (all.size() < concurrency) {
                Backend on = backend;
                if (threadsPerCaller > 0) {
                    NativeBackend pool = NativeBackend.create(threadsPerCaller, "auto", PatternAlgorithm.AUTO);
                    callerPools.add(pool);
                    on = pool;
                }
                Network created = Network.compile(graph, model.input(), on, maxBatch);
                all.add(created);
                return created;
            }
        }
        try {
            return idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a free network", e);
        }
    }

    /** Closes every network (callers still running finish first on theirs only if they already hold it) and an owned backend. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (all) {
            for (Network n : all) {
                n.close();
            }
            all.clear();
            for (NativeBackend pool : callerPools) {
                pool.close();
            }
            callerPools.clear();
        }
        if (ownsBackend) {
            ((NativeBackend) backend).close();
        }
    }

    private static Layer withoutFinalSoftmax(Layer g) {
        if (g instanceof Sequential s && !s.children().isEmpty() && s.children().get(s.children().size() - 1) instanceof Softmax) {
            List<Layer> c = s.children();
            return c.size() == 1 ? g : new Sequential(s.name(), c.subList(0, c.size() - 1));
        }
        return g;
    }
}
