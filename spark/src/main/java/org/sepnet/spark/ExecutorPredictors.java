package org.sepnet.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.SparkConf;
import org.sepnet.backend.Availability;
import org.sepnet.backend.Backends;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.backend.cuda.CudaBackend;
import org.sepnet.io.ModelFile;
import org.sepnet.predict.Predictor;

/**
 * The predictors of one executor JVM: one per model and settings, built by the first task that
 * needs it and reused by every later task and partition (tasks running at once share it; it
 * holds a compiled network per task slot). Models not used by a running task are closed when more
 * than {@link #IDLE_MODELS} are kept, least recently used first.
 */
final class ExecutorPredictors {
    /** Idle predictors kept for reuse; more are closed, least recently used first. */
    static final int IDLE_MODELS = 4;
    private static final String DEVICE_PROPERTY = "sepnet.cuda.device";

    /** What a user asked for: backend name or {@code auto}, native threads (0: the executor's cores), images per forward pass. */
    record Settings(String backend, int threads, int batch) implements Serializable {}

    /** Which backend a task runs on and why, in words for the logs and the task accumulator. */
    record Choice(String backend, String why) {}

    /** Cores and task slots are in the key: local sessions of another local[N] may follow in one JVM. */
    private record Key(String modelId, Settings settings, String backend, int cores, int slots) {}

    private static final class Entry {
        final Predictor predictor;
        final String why;
        int uses;

        Entry(Predictor predictor, String why) {
            this.predictor = predictor;
            this.why = why;
        }
    }

    /** A predictor held by one task; closing gives it back (it stays built for the next task). */
    static final class Lease implements AutoCloseable {
        private final Entry entry;
        private boolean closed;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        Predictor predictor() {
            return entry.predictor;
        }

        /** The backend in words and why, e.g. {@code native: C++ kernels, avx512, 2 threads, ... (no GPU assigned by Spark)}. */
        String ranOn() {
            return entry.predictor.backendDetail() + " (" + entry.why + ")";
        }

        @Override
        public void close() {
            synchronized (CACHE) {
                if (!closed) {
                    closed = true;
                    entry.uses--;
                    evictIdle();
                }
            }
        }
    }

    private static final java.util.concurrent.atomic.AtomicInteger BUILDS = new java.util.concurrent.atomic.AtomicInteger();

    /** Access-ordered: iteration starts at the least recently used. */
    private static final LinkedHashMap<Key, Entry> CACHE = new LinkedHashMap<>(16, 0.75f, true);

    private ExecutorPredictors() {}

    /**
     * The predictor for the model {@code modelId} (its bytes from {@code bytes}, called only when
     * none is built yet) with {@code settings}, on the backend {@link #choose} picks for a task
     * given {@code gpus} by Spark.
     */
    static Lease acquire(String modelId, String modelName, Supplier<byte[]> bytes, Settings settings, List<String> gpus,
                         SparkConf conf) {
        Choice choice = choose(settings.backend(), gpus);
        int cores = executorCores(conf);
        int slots = Math.max(1, cores / Math.max(1, conf.getInt("spark.task.cpus", 1)));
        Key key = new Key(modelId, settings, choice.backend(), cores, slots);
        synchronized (CACHE) {
            Entry e = CACHE.get(key);
            if (e == null) {
                e = new Entry(build(modelName, bytes.get(), settings, choice.backend(), cores, slots), choice.why());
                CACHE.put(key, e);
            }
            e.uses++;
            return new Lease(e);
        }
    }

    private static Predictor build(String modelName, byte[] bytes, Settings s, String backend, int cores, int slots) {
        BUILDS.incrementAndGet();
        int threads = Math.min(NativeBackend.MAX_THREADS, s.threads() > 0 ? s.threads() : cores);
        try {
            Predictor.Builder b = Predictor.builder().model(ModelFile.decode(bytes, modelName)).backend(backend).maxBatch(s.batch())
                    .concurrency(slots);
            if (backend.equals(NativeBackend.NAME) && slots > 1) {
                // Tasks running at once each get a pool of their share of the threads: one shared pool would
                // make them take turns on its loops.
                b.threadsPerCaller(Math.max(1, threads / slots));
            } else if (backend.equals(NativeBackend.NAME)) {
                b.threads(threads);
            }
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("model " + modelName + ": " + e.getMessage(), e);
        }
    }

    /**
     * The backend for a task: {@code auto} takes the CUDA backend on the first GPU Spark assigned
     * the task (never a GPU Spark did not assign), else the native backend (else the reference);
     * a named backend is used as named, CUDA on the assigned GPU when there is one.
     */
    static Choice choose(String requested, List<String> gpus) {
        boolean wantsCuda = requested.equals("auto") || requested.equals(CudaBackend.NAME);
        String gpuNote = null;
        if (wantsCuda && !gpus.isEmpty()) {
            gpuNote = pinDevice(gpus.get(0));
            if (gpuNote == null) {
                Availability a = CudaBackend.instance().availability();
                if (a.available()) {
                    return new Choice(CudaBackend.NAME, "GPU " + gpus.get(0) + " assigned by Spark");
                }
                gpuNote = "GPU " + gpus.get(0) + " assigned by Spark but CUDA is unavailable: " + a.detail();
            }
        }
        if (requested.equals("auto")) {
            String why = gpuNote != null ? gpuNote : "no GPU assigned by Spark";
            Availability n = NativeBackend.instance().availability();
            return n.available() ? new Choice(NativeBackend.NAME, why) : new Choice("reference", why + "; native unavailable: " + n.detail());
        }
        Backends.byName(requested);  // an unknown name fails here, naming the known ones
        return new Choice(requested, gpuNote != null ? gpuNote : "asked for " + requested);
    }

    /**
     * Points the CUDA backend at device {@code address} before its one probe in this JVM; null when
     * it is (or already was) on that device, else why not.
     */
    private static synchronized String pinDevice(String address) {
        int ordinal;
        try {
            ordinal = Integer.parseInt(address.strip());
        } catch (NumberFormatException e) {
            return "GPU address '" + address + "' assigned by Spark is not a CUDA device ordinal";
        }
        String current = System.getProperty(DEVICE_PROPERTY);
        if (current == null) {
            System.setProperty(DEVICE_PROPERTY, String.valueOf(ordinal));
            return null;
        }
        if (current.strip().equals(String.valueOf(ordinal))) {
            return null;
        }
        return "GPU " + ordinal + " assigned by Spark, but this executor's CUDA backend is on device " + current
                + " (one device per executor JVM)";
    }

    /** Cores of this executor: spark.executor.cores, N of a local[N] master, else every core. */
    static int executorCores(SparkConf conf) {
        if (conf.contains("spark.executor.cores")) {
            return Math.max(1, conf.getInt("spark.executor.cores", 1));
        }
        String master = conf.get("spark.master", "");
        int all = Runtime.getRuntime().availableProcessors();
        if (master.equals("local")) {
            return 1;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?]").matcher(master);
        if (m.matches()) {
            return m.group(1).equals("*") ? all : Math.max(1, Integer.parseInt(m.group(1)));
        }
        return all;
    }

    private static void evictIdle() {
        int idle = 0;
        for (Entry e : CACHE.values()) {
            idle += e.uses == 0 ? 1 : 0;
        }
        Iterator<Entry> it = CACHE.values().iterator();
        while (idle > IDLE_MODELS && it.hasNext()) {
            Entry e = it.next();
            if (e.uses == 0) {
                it.remove();
                e.predictor.close();
                idle--;
            }
        }
    }

    /** Predictors kept in this JVM now. */
    static int size() {
        synchronized (CACHE) {
            return CACHE.size();
        }
    }

    /** Predictors built in this JVM so far. */
    static int builds() {
        return BUILDS.get();
    }

    /** Closes every predictor no task holds (tests call it between sessions). */
    static void closeIdle() {
        synchronized (CACHE) {
            List<Key> idle = new ArrayList<>();
            for (Map.Entry<Key, Entry> e : CACHE.entrySet()) {
                if (e.getValue().uses == 0) {
                    idle.add(e.getKey());
                }
            }
            for (Key k : idle) {
                CACHE.remove(k).predictor.close();
            }
        }
    }
}
