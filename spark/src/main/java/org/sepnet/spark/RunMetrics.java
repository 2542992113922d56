package org.sepnet.spark;

import java.io.Serializable;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The counts of one {@link SepnetClassifier#transform} result, as Spark accumulators (named, so
 * they show in the Spark UI): images classified, bad rows (null predictions), and a line per
 * finished task saying what it ran on. They fill as actions run on the result; like every
 * accumulator updated in a transformation, a partition computed twice (a retried task, a result
 * used by two actions without caching) is counted twice.
 */
public final class RunMetrics implements Serializable {
    private final LongAccumulator images;
    private final LongAccumulator badRows;
    private final CollectionAccumulator<String> tasks;
    private final CollectionAccumulator<String> backends;

    RunMetrics(SparkContext sc, String uid) {
        this.images = sc.longAccumulator(uid + " images");
        this.badRows = sc.longAccumulator(uid + " bad rows");
        this.tasks = sc.collectionAccumulator(uid + " tasks");
        this.backends = sc.collectionAccumulator(uid + " backends");
    }

    void add(long classified, long bad, String backend, String taskLine) {
        images.add(classified);
        badRows.add(bad);
        backends.add(backend);
        tasks.add(taskLine);
    }

    /** Images classified so far. */
    public long images() {
        return images.value();
    }

    /** Rows that could not be classified (null predictions) so far. */
    public long badRows() {
        return badRows.value();
    }

    /** One line per finished task: partition, executor, counts, seconds, backend and why. */
    public List<String> tasks() {
        return List.copyOf(tasks.value());
    }

    /** The backends the finished tasks ran on, e.g. {@code [native]} or {@code [cuda]}. */
    public List<String> backends() {
        return List.copyOf(new TreeSet<>(backends.value()));
    }
}
