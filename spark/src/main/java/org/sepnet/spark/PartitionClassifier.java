package org.sepnet.spark;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;
import org.sepnet.predict.Classifications;
import org.sepnet.predict.Predictor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Classifies one partition: takes this executor's predictor for the broadcast model, decodes the
 * rows' images into batches, runs each batch through the predictor and appends the output columns.
 * Rows stream through (one batch in memory at a time). A row that cannot be decoded gets nulls and
 * is counted, or stops the job when fail-fast is on.
 */
final class PartitionClassifier implements MapPartitionsFunction<Row, Row> {
    private static final Logger LOG = LoggerFactory.getLogger(SepnetClassifier.class);
    /** Bad rows logged per task with their reason; the rest are only counted. */
    private static final int LOGGED_BAD_ROWS = 3;

    /** The optional output columns: probabilities, logits, the predicted class's name. */
    record Outputs(boolean probability, boolean logits, boolean label) implements Serializable {}

    private final Broadcast<byte[]> model;
    private final ModelSpec spec;
    private final InputKind kind;
    private final InputKind.ImageFields fields;
    private final int inputIndex;
    private final Outputs outputs;
    private final ExecutorPredictors.Settings settings;
    private final boolean failFast;
    private final boolean resize;
    private final RunMetrics metrics;

    /** What executors need to know of the model without decoding it: its id, name, input shape and class names. */
    record ModelSpec(String id, String name, int[] chw, List<String> labels) implements Serializable {}

    PartitionClassifier(Broadcast<byte[]> model, ModelSpec spec, InputKind kind, InputKind.ImageFields fields, int inputIndex,
                        Outputs outputs, ExecutorPredictors.Settings settings, boolean failFast, boolean resize, RunMetrics metrics) {
        this.model = model;
        this.spec = spec;
        this.kind = kind;
        this.fields = fields;
        this.inputIndex = inputIndex;
        this.outputs = outputs;
        this.settings = settings;
        this.failFast = failFast;
        this.resize = resize;
        this.metrics = metrics;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        TaskContext task = TaskContext.get();
        List<String> gpus = gpus(task);
        ExecutorPredictors.Lease lease = ExecutorPredictors.acquire(spec.id(), spec.name(), () -> model.value(), settings, gpus,
                SparkEnv.get().conf());
        Batched out = new Batched(rows, lease.predictor(), task == null ? -1 : task.partitionId());
        if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) t -> {
                lease.close();
                out.report(lease.predictor().backend(), lease.ranOn());
            });
        }
        return out;
    }

    private static List<String> gpus(TaskContext task) {
        if (task == null) {
            return List.of();
        }
        ResourceInformation gpu = task.resourcesJMap().get("gpu");
        return gpu == null ? List.of() : Arrays.asList(gpu.addresses());
    }

    /** The output rows of a partition, computed a batch at a time as they are asked for. */
    private final class Batched implements Iterator<Row> {
        private final Iterator<Row> in;
        private final Predictor predictor;
        private final RowDecoder decoder;
        private final int partition;
        private final int size;
        private final float[] x;
        private final Row[] batch;
        private final String[] bad;
        private final ArrayDeque<Row> ready = new ArrayDeque<>();
        private final long started = System.nanoTime();
        private long rowsSeen;
        private long classified;
        private long badRows;
        private long predictNanos;

        Batched(Iterator<Row> in, Predictor predictor, int partition) {
            this.in = in;
            this.predictor = predictor;
            this.partition = partition;
            this.decoder = new RowDecoder(kind, fields, spec.chw(), resize, predictor);
            this.size = spec.chw()[0] * spec.chw()[1] * spec.chw()[2];
            this.x = new float[settings.batch() * size];
            this.batch = new Row[settings.batch()];
            this.bad = new String[settings.batch()];
        }

        @Override
        public boolean hasNext() {
            while (ready.isEmpty() && in.hasNext()) {
                nextBatch();
            }
            return !ready.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }

        private void nextBatch() {
            int n = 0;
            int good = 0;
            while (n < batch.length && in.hasNext()) {
                Row r = in.next();
                batch[n] = r;
                bad[n] = null;
                try {
                    decoder.decode(r, inputIndex, x, good * size);
                    good++;
                } catch (RowDecoder.BadRow e) {
                    bad[n] = e.getMessage();
                    badRow(e.getMessage());
                }
                rowsSeen++;
                n++;
            }
            List<Classifications> results = Collections.emptyList();
            if (good > 0) {
                long t0 = System.nanoTime();
                results = predictor.predict(good == batch.length ? x : Arrays.copyOf(x, good * size), good);
                predictNanos += System.nanoTime() - t0;
                classified += good;
            }
            int k = 0;
            for (int i = 0; i < n; i++) {
                ready.add(output(batch[i], bad[i] == null ? results.get(k++) : null));
                batch[i] = null;
            }
        }

        private void badRow(String reason) {
            String where = "row " + rowsSeen + " of partition " + partition;
            if (failFast) {
                throw new IllegalArgumentException("sepnet: " + where + ": " + reason + " (fail-fast is on)");
            }
            badRows++;
            if (badRows <= LOGGED_BAD_ROWS) {
                LOG.warn("sepnet: {}: {}; its predictions are null", where, reason);
            }
        }

        private Row output(Row r, Classifications c) {
            int extra = 1 + (outputs.probability() ? 1 : 0) + (outputs.logits() ? 1 : 0) + (outputs.label() ? 1 : 0);
            Object[] v = new Object[r.length() + extra];
            for (int i = 0; i < r.length(); i++) {
                v[i] = r.get(i);
            }
            int j = r.length();
            float[] logits = c == null ? null : c.logits();
            boolean predicted = c != null && !Float.isNaN(logits[c.best().index()]);  // every score NaN: no prediction
            v[j++] = predicted ? (double) c.best().index() : null;
            if (outputs.probability()) {
                v[j++] = c == null ? null : Vectors.dense(probabilities(c));
            }
            if (outputs.logits()) {
                v[j++] = c == null ? null : Vectors.dense(toDoubles(logits));
            }
            if (outputs.label()) {
                v[j] = predicted ? c.best().label() : null;
            }
            return RowFactory.create(v);
        }

        /** Adds this task's counts to the accumulators and logs what it ran on. */
        void report(String backend, String ranOn) {
            double seconds = (System.nanoTime() - started) / 1e9;
            String line = String.format("partition %d on executor %s: %,d images classified, %,d bad, %.3f s (%.3f s in the network) on %s",
                    partition, SparkEnv.get().executorId(), classified, badRows, seconds, predictNanos / 1e9, ranOn);
            metrics.add(classified, badRows, backend, line);
            LOG.info("sepnet: {}", line);
        }
    }

    private static double[] probabilities(Classifications c) {
        double[] p = new double[c.all().size()];
        for (Classifications.Classification k : c.all()) {
            p[k.index()] = k.probability();
        }
        return p;
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
