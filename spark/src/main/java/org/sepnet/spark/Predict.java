package org.sepnet.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sepnet.backend.Backend;
import org.sepnet.backend.Backends;
import org.sepnet.backend.cpu.NativeBackend;
import org.sepnet.backend.cpu.PatternAlgorithm;
import org.sepnet.data.DataSet;
import org.sepnet.data.ImageSet;
import org.sepnet.models.Model;
import org.sepnet.train.Evaluator;

/**
 * {@code spark/predict.sh}: classifies a labeled data set with {@link SepnetClassifier} on a Spark
 * master and prints {@code {"images", "top1", "images_per_s", "partitions", "backend"}} as JSON.
 * The images are put into a cached DataFrame of Spark image structs first; the time is that of
 * the classifying job alone. {@code --compare} also times what {@code ./sepnet eval} runs, in this
 * JVM with the executor's threads, run for run, and reports Spark's overhead.
 */
public final class Predict {
    private static final String USAGE = "usage: spark/predict.sh MODEL --data D --master M [--out DIR] [--split test|train] "
            + "[--limit N] [--batch B] [--partitions N] [--backend NAME] [--threads N] [--repeat R] [--compare]";

    private Predict() {}

    public static void main(String[] args) {
        try {
            System.exit(run(args, System.out));
        } catch (IllegalArgumentException | IllegalStateException | IOException | UncheckedIOException e) {
            System.err.println("predict: " + e.getMessage());
            System.exit(2);
        }
    }

    /** The options; every one but the model and data has a default. */
    record Options(String model, String data, String master, String out, String split, Integer limit, int batch, int partitions,
                   String backend, int threads, int repeat, boolean compare) {
        static Options parse(String[] args) {
            Map<String, String> o = new LinkedHashMap<>();
            List<String> positional = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--compare") || a.equals("-h") || a.equals("--help")) {
                    o.put(a, "true");
                } else if (a.startsWith("--")) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(a + " needs a value; " + USAGE);
                    }
                    o.put(a, args[++i]);
                } else {
                    positional.add(a);
                }
            }
            if (o.containsKey("-h") || o.containsKey("--help")) {
                throw new IllegalArgumentException(USAGE);
            }
            List<String> known = List.of("--data", "--master", "--out", "--split", "--limit", "--batch", "--partitions", "--backend",
                    "--threads", "--repeat", "--compare");
            for (String k : o.keySet()) {
                if (!known.contains(k)) {
                    throw new IllegalArgumentException("unknown option " + k + "; " + USAGE);
                }
            }
            if (positional.size() != 1 || !o.containsKey("--data")) {
                throw new IllegalArgumentException("expected one MODEL and --data; " + USAGE);
            }
            // Without --master: the one spark-submit gives (the spark.master property), else every local core.
            String master = o.getOrDefault("--master", System.getProperty("spark.master", "local[*]"));
            return new Options(positional.get(0), o.get("--data"), master, o.get("--out"),
                    o.getOrDefault("--split", "test"), o.containsKey("--limit") ? positive(o, "--limit") : null,
                    o.containsKey("--batch") ? positive(o, "--batch") : 64, o.containsKey("--partitions") ? positive(o, "--partitions") : 0,
                    o.getOrDefault("--backend", "auto"), o.containsKey("--threads") ? positive(o, "--threads") : 0,
                    o.containsKey("--repeat") ? positive(o, "--repeat") : 1, o.containsKey("--compare"));
        }

        private static int positive(Map<String, String> o, String k) {
            try {
                int v = Integer.parseInt(o.get(k));
                if (v >= 1) {
                    return v;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(k + " " + o.get(k) + "; expected a positive integer");
        }
    }

    static int run(String[] args, PrintStream out) throws IOException {
        Options o = Options.parse(args);
        DataSet data = DataSet.open(o.data());
        ImageSet set = data.split(o.split());
        if (o.limit() != null) {
            set = set.limit(o.limit());
        }
        SparkSession spark = SparkSession.builder().master(o.master()).appName("sepnet predict").config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            SepnetClassifier classifier = new SepnetClassifier().setModel(o.model()).setBatchSize(o.batch()).setBackend(o.backend())
                    .setThreads(o.threads()).setProbabilityCol("").setPredictedLabelCol("predicted_label");
            Model model = classifier.shipped(spark).model;
            Evaluator.check(model, set);
            int partitions = o.partitions() > 0 ? o.partitions() : spark.sparkContext().defaultParallelism();
            Dataset<Row> frame = ImageFrames.of(spark, set, data.name() + ":" + o.split(), partitions).cache();
            frame.count();
            double[] rates = new double[o.repeat()];
            double[] plain = new double[o.compare() ? o.repeat() : 0];
            long images = 0;
            long correct = 0;
            for (int r = 0; r < o.repeat(); r++) {
                long t0 = System.nanoTime();
                Dataset<Row> predicted = classifier.transform(frame);
                Row counts;
                if (o.out() != null && r == o.repeat() - 1) {
                    predicted.select(col("image.origin").as("origin"), col("label"), col("prediction"), col("predicted_label"))
                            .write().mode("overwrite").parquet(o.out());
                    elapsed(t0, rates, r, set.size());
                    counts = tally(spark.read().parquet(o.out()));
                } else {
                    counts = tally(predicted);
                    elapsed(t0, rates, r, set.size());
                }
                images = counts.getLong(0);
                correct = counts.isNullAt(1) ? 0 : counts.getLong(1);
                if (o.compare()) {
                    plain[r] = plainRate(model, set, o, classifier.lastRun().backends(), spark);
                }
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("images", images);
            json.put("top1", images == 0 ? 0.0 : (double) correct / images);
            json.put("images_per_s", Math.round(median(rates)));
            json.put("partitions", partitions);
            json.put("backend", String.join(",", classifier.lastRun().backends()));
            json.put("bad_rows", classifier.lastRun().badRows());
            json.put("batch", o.batch());
            json.put("master", o.master());
            if (o.repeat() > 1) {
                json.put("runs_images_per_s", Arrays.stream(rates).mapToLong(Math::round).toArray());
            }
            if (o.compare()) {
                json.put("plain_images_per_s", Math.round(median(plain)));
                json.put("plain_runs_images_per_s", Arrays.stream(plain).mapToLong(Math::round).toArray());
                json.put("spark_overhead", Math.round((1 - median(rates) / median(plain)) * 10000) / 10000.0);
            }
            out.println(new GsonBuilder().create().toJson(json));
            return 0;
        } finally {
            spark.stop();
        }
    }

    private static Row tally(Dataset<Row> predicted) {
        return predicted.agg(count(lit(1)), sum(when(col("prediction").equalTo(col("label").cast("double")), 1L).otherwise(0L)))
                .first();
    }

    private static void elapsed(long t0, double[] rates, int r, int images) {
        rates[r] = images / ((System.nanoTime() - t0) / 1e9);
    }

    /** What ./sepnet eval runs (the compiled network over the whole set), on the backend and threads the Spark tasks used. */
    private static double plainRate(Model model, ImageSet set, Options o, List<String> sparkBackends, SparkSession spark) {
        String name = sparkBackends.size() == 1 ? sparkBackends.get(0) : NativeBackend.NAME;
        Backend b;
        boolean own = name.equals(NativeBackend.NAME);
        if (own) {
            int threads = o.threads() > 0 ? o.threads() : ExecutorPredictors.executorCores(spark.sparkContext().getConf());
            b = NativeBackend.create(threads, "auto", PatternAlgorithm.AUTO);
        } else {
            b = Backends.byName(name);
        }
        try {
            long t0 = System.nanoTime();
            Evaluator.evaluate(model, set, b, o.batch());
            return set.size() / ((System.nanoTime() - t0) / 1e9);
        } finally {
            if (own) {
                ((NativeBackend) b).close();
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length == 0 ? 0 : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
