package org.sepnet.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sepnet.backend.Backends;
import org.sepnet.models.Model;

/**
 * A Spark ML {@link Transformer} that classifies a column of images with a sepnet model: Spark's
 * image structs ({@code spark.read().format("image")}), encoded images ({@code binaryFile}'s
 * {@code content}), or float/double arrays and vectors of [C, H, W] values in [0, 1]. The model
 * stores its normalization and class names; it is read once on the driver and broadcast, and each
 * executor JVM builds one predictor for it that every task reuses. Tasks with a GPU from Spark's
 * resource scheduling run on the CUDA backend on that GPU, the others on the native backend.
 *
 * <p>Output columns: {@code prediction} (the class index as a double, the Spark ML convention),
 * {@code probability} (a vector of softmax probabilities; "" leaves it out), and on request the
 * logits and the predicted class's name. A row whose image cannot be used (undecodable, wrong size,
 * null) gets nulls and is counted in {@link #lastRun()}; {@link #setFailFast} stops the job instead.
 *
 * <pre>{@code
 * SepnetClassifier c = new SepnetClassifier().setModel("hdfs:///models/resnet20-fmnist-bq.sepnet").setInputCol("image");
 * Dataset<Row> out = c.transform(spark.read().format("image").load("hdfs:///images"));
 * }</pre>
 */
public final class SepnetClassifier extends Transformer implements MLWritable {
    private final Param<String> modelPath;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> probabilityCol;
    private final Param<String> logitsCol;
    private final Param<String> predictedLabelCol;
    private final IntParam batchSize;
    private final Param<String> backend;
    private final IntParam threads;
    private final BooleanParam failFast;
    private final BooleanParam resize;

    private final String uid;
    /** The model as read on the driver (or loaded with a saved pipeline), and where it came from. */
    private transient ShippedModel shipped;
    private transient String shippedFrom;
    private transient Broadcast<byte[]> broadcast;
    private transient SparkContext broadcastContext;
    private transient RunMetrics lastRun;

    public SepnetClassifier() {
        this(Identifiable.randomUID("sepnetClassifier"));
    }

    public SepnetClassifier(String uid) {
        this.uid = uid;  // before the params: each takes its parent's uid
        modelPath = new Param<>(this, "modelPath", "the model: a .sepnet/.onnx/.caffemodel file (local or any Hadoop URI) or a model shipped in the sepnet jar");
        inputCol = new Param<>(this, "inputCol", "the column of images");
        outputCol = new Param<>(this, "outputCol", "the predicted class index (double)");
        probabilityCol = new Param<>(this, "probabilityCol", "softmax probabilities (vector); empty: none");
        logitsCol = new Param<>(this, "logitsCol", "the network's raw outputs (vector); empty: none");
        predictedLabelCol = new Param<>(this, "predictedLabelCol", "the predicted class's name (string); empty: none");
        batchSize = new IntParam(this, "batchSize", "images per forward pass");
        backend = new Param<>(this, "backend", "auto, cuda, native or reference");
        threads = new IntParam(this, "threads", "native backend threads per executor; 0: the executor's cores");
        failFast = new BooleanParam(this, "failFast", "stop the job at the first bad row");
        resize = new BooleanParam(this, "resize", "resize images of another size (bilinear) instead of rejecting them");
        setDefault(inputCol, "image");
        setDefault(outputCol, "prediction");
        setDefault(probabilityCol, "probability");
        setDefault(logitsCol, "");
        setDefault(predictedLabelCol, "");
        setDefault(batchSize, 64);
        setDefault(backend, "auto");
        setDefault(threads, 0);
        setDefault(failFast, false);
        setDefault(resize, false);
    }

    @Override
    public String uid() {
        return uid;
    }

    // Params: Spark finds them by these public no-argument methods.
    public Param<String> modelPath() { return modelPath; }
    public Param<String> inputCol() { return inputCol; }
    public Param<String> outputCol() { return outputCol; }
    public Param<String> probabilityCol() { return probabilityCol; }
    public Param<String> logitsCol() { return logitsCol; }
    public Param<String> predictedLabelCol() { return predictedLabelCol; }
    public IntParam batchSize() { return batchSize; }
    public Param<String> backend() { return backend; }
    public IntParam threads() { return threads; }
    public BooleanParam failFast() { return failFast; }
    public BooleanParam resize() { return resize; }

    /** A model file (local path or Hadoop URI: hdfs://, s3a://, ...) or the name of a model shipped in the jar. */
    public SepnetClassifier setModel(String pathOrName) {
        set(modelPath, pathOrName);
        return this;
    }

    /** A model already in memory (it is saved with the transformer). */
    public SepnetClassifier setModel(Model model) {
        set(modelPath, "in-memory:" + model.name());
        shipped = ShippedModel.of(model);
        shippedFrom = getOrDefault(modelPath);
        return this;
    }

    public SepnetClassifier setInputCol(String c) { set(inputCol, c); return this; }
    public SepnetClassifier setOutputCol(String c) { set(outputCol, c); return this; }
    public SepnetClassifier setProbabilityCol(String c) { set(probabilityCol, c); return this; }
    public SepnetClassifier setLogitsCol(String c) { set(logitsCol, c); return this; }
    public SepnetClassifier setPredictedLabelCol(String c) { set(predictedLabelCol, c); return this; }
    public SepnetClassifier setBatchSize(int n) { set(batchSize, n); checkParams(); return this; }
    public SepnetClassifier setBackend(String name) { set(backend, name); checkParams(); return this; }
    public SepnetClassifier setThreads(int n) { set(threads, n); checkParams(); return this; }
    public SepnetClassifier setFailFast(boolean on) { set(failFast, on); return this; }
    public SepnetClassifier setResize(boolean on) { set(resize, on); return this; }

    public String getModel() { return isDefined(modelPath) ? getOrDefault(modelPath) : null; }
    public String getInputCol() { return getOrDefault(inputCol); }
    public String getOutputCol() { return getOrDefault(outputCol); }
    public String getProbabilityCol() { return getOrDefault(probabilityCol); }
    public String getLogitsCol() { return getOrDefault(logitsCol); }
    public String getPredictedLabelCol() { return getOrDefault(predictedLabelCol); }
    public int getBatchSize() { return (Integer) getOrDefault(batchSize); }
    public String getBackend() { return getOrDefault(backend); }
    public int getThreads() { return (Integer) getOrDefault(threads); }
    public boolean getFailFast() { return (Boolean) getOrDefault(failFast); }
    public boolean getResize() { return (Boolean) getOrDefault(resize); }

    /** The counts of the most recent {@link #transform} result (filled as actions run on it), or null before any. */
    public RunMetrics lastRun() {
        return lastRun;
    }

    /** The model's class names, read on the driver (empty when it stores none). */
    public List<String> labels() {
        return shipped(SparkSession.active()).model.labels();
    }

    private void checkParams() {
        int b = getBatchSize();
        if (b < 1 || b > 4096) {
            throw new IllegalArgumentException("batchSize " + b + "; expected 1 to 4096");
        }
        int t = getThreads();
        if (t < 0 || t > 256) {
            throw new IllegalArgumentException("threads " + t + "; expected 0 (the executor's cores) to 256");
        }
        if (!getBackend().equals("auto")) {
            Backends.byName(getBackend());  // names the known backends when it is none of them
        }
    }

    @Override
    public StructType transformSchema(StructType schema) {
        checkParams();
        String in = getInputCol();
        if (!Arrays.asList(schema.fieldNames()).contains(in)) {
            throw new IllegalArgumentException("no input column '" + in + "'; the columns are " + String.join(", ", schema.fieldNames()));
        }
        InputKind.of(in, schema.apply(in).dataType());
        List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
        List<String> added = new ArrayList<>();
        if (getOutputCol().isEmpty()) {
            throw new IllegalArgumentException("outputCol is empty; the prediction needs a column");
        }
        addColumn(schema, fields, added, getOutputCol(), DataTypes.DoubleType);
        addColumn(schema, fields, added, getProbabilityCol(), SQLDataTypes.VectorType());
        addColumn(schema, fields, added, getLogitsCol(), SQLDataTypes.VectorType());
        addColumn(schema, fields, added, getPredictedLabelCol(), DataTypes.StringType);
        return new StructType(fields.toArray(new StructField[0]));
    }

    private static void addColumn(StructType schema, List<StructField> fields, List<String> added, String name,
                                  org.apache.spark.sql.types.DataType type) {
        if (name.isEmpty()) {
            return;
        }
        if (Arrays.asList(schema.fieldNames()).contains(name) || added.contains(name)) {
            throw new IllegalArgumentException("output column '" + name + "' already exists; choose another name");
        }
        added.add(name);
        fields.add(DataTypes.createStructField(name, type, true));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        SparkSession spark = dataset.sparkSession();
        ShippedModel m = shipped(spark);
        if (m.model.input().rank() != 3) {
            throw new IllegalArgumentException("model " + m.model.name() + " takes " + m.model.input() + "; expected images [C, H, W]");
        }
        StructType in = dataset.schema();
        int index = in.fieldIndex(getInputCol());
        InputKind kind = InputKind.of(getInputCol(), in.apply(index).dataType());
        InputKind.ImageFields imageFields = kind == InputKind.IMAGE ? InputKind.ImageFields.of((StructType) in.apply(index).dataType()) : null;
        RunMetrics metrics = new RunMetrics(spark.sparkContext(), uid);
        lastRun = metrics;
        PartitionClassifier job = new PartitionClassifier(broadcast(spark.sparkContext(), m), m.spec(), kind, imageFields, index,
                new PartitionClassifier.Outputs(!getProbabilityCol().isEmpty(), !getLogitsCol().isEmpty(), !getPredictedLabelCol().isEmpty()),
                new ExecutorPredictors.Settings(getBackend(), getThreads(), getBatchSize()), getFailFast(), getResize(), metrics);
        return dataset.toDF().mapPartitions(job, Encoders.row(out));
    }

    /** The model, read on the driver the first time it is needed after {@link #setModel}. */
    ShippedModel shipped(SparkSession spark) {
        String from = getModel();
        if (from == null) {
            throw new IllegalArgumentException("no model: call setModel(path or name)");
        }
        if (shipped == null || !from.equals(shippedFrom)) {
            try {
                shipped = ShippedModel.read(from, spark.sparkContext().hadoopConfiguration());
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
            shippedFrom = from;
            broadcast = null;
        }
        return shipped;
    }

    /** The model's bytes broadcast once per model and Spark context, reused by every later transform. */
    private Broadcast<byte[]> broadcast(SparkContext sc, ShippedModel m) {
        if (broadcast == null || broadcastContext != sc || sc.isStopped()) {
            broadcast = sc.broadcast(m.bytes, scala.reflect.ClassTag$.MODULE$.apply(byte[].class));
            broadcastContext = sc;
        }
        return broadcast;
    }

    /** Loaded with a saved pipeline: the model its directory holds. */
    void useShipped(ShippedModel m, String from) {
        shipped = m;
        shippedFrom = from;
        broadcast = null;
    }

    ShippedModel shippedOrNull() {
        return shipped != null && getModel() != null && getModel().equals(shippedFrom) ? shipped : null;
    }

    @Override
    public SepnetClassifier copy(ParamMap extra) {
        SepnetClassifier c = defaultCopy(extra);
        if (shippedOrNull() != null) {
            c.useShipped(shipped, shippedFrom);
        }
        return c;
    }

    /** Saves the parameters and the model itself, so a saved pipeline needs no other file. */
    @Override
    public MLWriter write() {
        return new SepnetClassifierIO.Writer(this);
    }

    public static MLReader<SepnetClassifier> read() {
        return new SepnetClassifierIO.Reader();
    }

    public static SepnetClassifier load(String path) {
        return read().load(path);
    }
}
