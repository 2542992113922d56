package org.sepnet.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.data.ImageSet;
import org.sepnet.io.ModelIO;
import org.sepnet.io.Pretrained;
import org.sepnet.predict.Classifications;
import org.sepnet.predict.Predictor;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Seeds;

/**
 * The transformer on a local[2] Spark against the plain {@link Predictor}: the same classes and
 * logits row for row whatever the partitioning and batching (the kernels compute each image on
 * its own, so batch composition does not change a bit), bad rows as nulls, saving and loading.
 */
class SepnetClassifierTest {
    static final String MODEL = "resnet20-fmnist-bq";
    static final int N = 150;
    static SparkSession spark;
    static ImageSet images;
    static Predictor reference;

    @BeforeAll
    static void start() throws Exception {
        spark = LocalSpark.session();
        byte[] labels = new byte[N];
        for (int i = 0; i < N; i++) {
            labels[i] = (byte) (i % 10);
        }
        images = ImageSet.of(LocalSpark.grayImages(Seeds.of("images"), N, 28, 28), labels, Shape.of(1, 28, 28), 10);
        reference = Predictor.builder().model(MODEL).backend("native").build();
    }

    @AfterAll
    static void stop() {
        reference.close();
    }

    static Classifications expected(int i) {
        float[] x = new float[28 * 28];
        images.pixels(i, x, 0);
        return reference.predict(x);
    }

    @Test
    void predictionsEqualThePredictorsRowForRow() {
        SepnetClassifier c = new SepnetClassifier().setModel(MODEL).setBatchSize(16).setLogitsCol("logits").setPredictedLabelCol("name");
        List<Row> rows = c.transform(ImageFrames.of(spark, images, "random", 3)).collectAsList();
        assertEquals(N, rows.size());
        for (Row r : rows) {
            String origin = r.getStruct(r.fieldIndex("image")).getString(0);
            int i = Integer.parseInt(origin.substring(origin.indexOf('/') + 1));
            Classifications e = expected(i);
            String why = "image " + i + " " + Seeds.replay("images");
            assertEquals(e.best().index(), r.getDouble(r.fieldIndex("prediction")), why);
            assertEquals(e.best().label(), r.getString(r.fieldIndex("name")), why);
            float[] logits = e.logits();
            double[] got = ((Vector) r.getAs("logits")).toArray();
            for (int k = 0; k < logits.length; k++) {
                assertEquals(logits[k], got[k], 0.0, why + " logit " + k);
            }
            double[] p = ((Vector) r.getAs("probability")).toArray();
            assertEquals(1.0, java.util.Arrays.stream(p).sum(), 1e-9, why);
            assertEquals(e.best().probability(), p[e.best().index()], 0.0, why);
        }
        RunMetrics m = c.lastRun();
        assertEquals(N, m.images());
        assertEquals(0, m.badRows());
        assertEquals(List.of("native"), m.backends());
        assertEquals(3, m.tasks().size(), "one line per task: " + m.tasks());
        // local[2]: two task slots, each with a one-thread pool of its own.
        assertTrue(m.tasks().get(0).matches(".* on native: C\\+\\+ kernels, .*1 thread,.*a pool like it per caller, at most 2 callers "
                + "\\(no GPU assigned by Spark\\)"), m.tasks().get(0));
    }

    @Test
    void everyInputKindGivesTheSameClasses() throws Exception {
        int n = 20;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] gray = images.bytes(i);
            float[] f = new float[gray.length];
            images.pixels(i, f, 0);
            Float[] boxed = new Float[f.length];
            Double[] doubles = new Double[f.length];
            double[] prim = new double[f.length];
            byte[] bgr = new byte[3 * gray.length];
            for (int k = 0; k < f.length; k++) {
                boxed[k] = f[k];
                doubles[k] = (double) f[k];
                prim[k] = f[k];
                bgr[3 * k] = bgr[3 * k + 1] = bgr[3 * k + 2] = gray[k];
            }
            Row color = org.apache.spark.sql.RowFactory.create("c" + i, 28, 28, 3, 16, bgr);
            rows.add(org.apache.spark.sql.RowFactory.create(i, boxed, doubles, org.apache.spark.ml.linalg.Vectors.dense(prim),
                    LocalSpark.png(gray, 0, 28, 28), color));
        }
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("i", "int")
                .add("floats", "array<float>")
                .add("doubles", "array<double>")
                .add("vector", org.apache.spark.ml.linalg.SQLDataTypes.VectorType())
                .add("png", "binary")
                .add("color", org.apache.spark.ml.image.ImageSchema.columnSchema());
        Dataset<Row> df = spark.createDataFrame(rows, schema);
        for (String col : List.of("floats", "doubles", "vector", "png", "color")) {
            SepnetClassifier c = new SepnetClassifier().setModel(MODEL).setInputCol(col).setBatchSize(7);
            for (Row r : c.transform(df).collectAsList()) {
                int i = r.getInt(0);
                assertEquals(expected(i).best().index(), r.getDouble(r.fieldIndex("prediction")), col + " image " + i);
            }
            assertEquals(n, c.lastRun().images(), col);
        }
    }

    @Test
    void sparksImageAndBinaryFileSourcesReadPngsThatClassifyAsThePixels(@TempDir Path dir) throws Exception {
        int n = 12;
        for (int i = 0; i < n; i++) {
            Files.write(dir.resolve(i + ".png"), LocalSpark.png(images.bytes(i), 0, 28, 28));
        }
        Files.write(dir.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0});
        Dataset<Row> files = spark.read().format("image").option("dropInvalid", "true").load(dir.toString());
        Dataset<Row> raw = spark.read().format("binaryFile").load(dir.toString());
        SepnetClassifier fromImages = new SepnetClassifier().setModel(MODEL);
        SepnetClassifier fromBytes = new SepnetClassifier().setModel(MODEL).setInputCol("content");
        int checked = 0;
        for (Row r : fromImages.transform(files).collectAsList()) {
            String origin = r.getStruct(0).getString(0);
            int i = Integer.parseInt(origin.substring(origin.lastIndexOf('/') + 1, origin.length() - 4));
            assertEquals(expected(i).best().index(), r.getDouble(r.fieldIndex("prediction")), origin);
            checked++;
        }
        assertEquals(n, checked);
        for (Row r : fromBytes.transform(raw).collectAsList()) {
            String path = r.getString(0);
            if (path.endsWith("broken.png")) {
                assertNull(r.getAs("prediction"));
                continue;
            }
            int i = Integer.parseInt(path.substring(path.lastIndexOf('/') + 1, path.length() - 4));
            assertEquals(expected(i).best().index(), r.getDouble(r.fieldIndex("prediction")), path);
        }
        assertEquals(n, fromBytes.lastRun().images());
        assertEquals(1, fromBytes.lastRun().badRows());
        // Without dropInvalid, Spark keeps the broken file as an image of mode -1: a bad row.
        SepnetClassifier keepInvalid = new SepnetClassifier().setModel(MODEL).setFailFast(true);
        Exception e = assertThrows(Exception.class, () -> keepInvalid.transform(spark.read().format("image").load(dir.toString())).count());
        assertTrue(messages(e).contains("an image Spark could not decode (mode -1, -1 channels) (fail-fast is on)"), messages(e));
    }

    /** A three-channel model in memory: BGR image structs must reach it as red, green, blue planes. */
    @Test
    void colorImagesReachAColorModelAsRgb() throws Exception {
        org.sepnet.models.Model m = org.sepnet.models.Zoo.build("resnet8", 5, Shape.of(3, 8, 8), 4);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(Seeds.of("color"));
        List<Row> rows = new ArrayList<>();
        List<float[]> planes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            byte[] bgr = new byte[8 * 8 * 3];
            float[] rgb = new float[3 * 64];
            for (int p = 0; p < 64; p++) {
                int r = rnd.nextInt(256), g = rnd.nextInt(256), b = rnd.nextInt(256);
                bgr[3 * p] = (byte) b;
                bgr[3 * p + 1] = (byte) g;
                bgr[3 * p + 2] = (byte) r;
                rgb[p] = r / 255f;
                rgb[64 + p] = g / 255f;
                rgb[128 + p] = b / 255f;
            }
            planes.add(rgb);
            rows.add(org.apache.spark.sql.RowFactory.create(i, org.apache.spark.sql.RowFactory.create("c" + i, 8, 8, 3, 16, bgr)));
        }
        Dataset<Row> df = spark.createDataFrame(rows, new org.apache.spark.sql.types.StructType().add("i", "int")
                .add("image", org.apache.spark.ml.image.ImageSchema.columnSchema()));
        SepnetClassifier c = new SepnetClassifier().setModel(m).setLogitsCol("logits");
        try (Predictor p = Predictor.builder().model(m).backend("native").build()) {
            for (Row r : c.transform(df).collectAsList()) {
                float[] want = p.logits(planes.get(r.getInt(0)), 1);
                double[] got = ((Vector) r.getAs("logits")).toArray();
                for (int k = 0; k < want.length; k++) {
                    assertEquals(want[k], got[k], 0.0, "image " + r.getInt(0) + " logit " + k + " " + Seeds.replay("color"));
                }
            }
        }
    }

    @Test
    void badRowsGetNullsAndAreCountedUnlessFailFast() throws Exception {
        byte[] good = images.bytes(0);
        List<Row> rows = new ArrayList<>();
        rows.add(org.apache.spark.sql.RowFactory.create("good", LocalSpark.png(good, 0, 28, 28), floats(784, 0.5f)));
        rows.add(org.apache.spark.sql.RowFactory.create("null", null, null));
        rows.add(org.apache.spark.sql.RowFactory.create("garbage", new byte[] {1, 2, 3, 4}, floats(783, 0.5f)));
        rows.add(org.apache.spark.sql.RowFactory.create("small", LocalSpark.png(new byte[400], 0, 20, 20), floats(785, 0.5f)));
        rows.add(org.apache.spark.sql.RowFactory.create("nan", LocalSpark.png(good, 0, 28, 28), floats(784, Float.NaN)));
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("name", "string").add("png", "binary").add("floats", "array<float>");
        Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(2);

        SepnetClassifier c = new SepnetClassifier().setModel(MODEL).setInputCol("png");
        Map<String, Row> out = byName(c.transform(df).collectAsList());
        assertNotNull(out.get("good").getAs("prediction"));
        assertNotNull(out.get("nan").getAs("prediction"));
        for (String bad : List.of("null", "garbage", "small")) {
            assertNull(out.get(bad).getAs("prediction"), bad);
            assertNull(out.get(bad).getAs("probability"), bad);
        }
        assertEquals(2, c.lastRun().images());
        assertEquals(3, c.lastRun().badRows());

        SepnetClassifier f = new SepnetClassifier().setModel(MODEL).setInputCol("floats");
        out = byName(f.transform(df).collectAsList());
        assertNotNull(out.get("good").getAs("prediction"));
        for (String bad : List.of("null", "garbage", "small")) {
            assertNull(out.get(bad).getAs("prediction"), bad);
        }
        // NaN stays NaN: every score is NaN, so there is no prediction, and the probabilities say so.
        assertNull(out.get("nan").getAs("prediction"));
        assertTrue(Double.isNaN(((Vector) out.get("nan").getAs("probability")).apply(0)));
        assertEquals(3, f.lastRun().badRows());

        SepnetClassifier strict = new SepnetClassifier().setModel(MODEL).setInputCol("png").setFailFast(true);
        Exception e = assertThrows(Exception.class, () -> strict.transform(df).collectAsList());
        String all = messages(e);
        assertTrue(all.contains("fail-fast is on") && (all.contains("undecodable") || all.contains("null") || all.contains("20×20")), all);
    }

    @Test
    void aSavedPipelineCarriesItsModel(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("shoes.sepnet");
        ModelIO.save(Pretrained.load(MODEL), file);
        SepnetClassifier c = new SepnetClassifier().setModel(file.toString()).setBatchSize(5).setOutputCol("cls").setProbabilityCol("");
        Dataset<Row> df = ImageFrames.of(spark, images.limit(30), "p", 2);
        Pipeline p = new Pipeline().setStages(new PipelineStage[] {c});
        PipelineModel fitted = p.fit(df);
        List<Row> before = fitted.transform(df).select("cls").collectAsList();
        fitted.write().overwrite().save(dir.resolve("pipeline").toString());
        c.write().overwrite().save(dir.resolve("stage").toString());
        Files.delete(file);

        PipelineModel loaded = PipelineModel.load(dir.resolve("pipeline").toString());
        assertEquals(before, loaded.transform(df).select("cls").collectAsList());
        SepnetClassifier stage = SepnetClassifier.load(dir.resolve("stage").toString());
        assertEquals(5, stage.getBatchSize());
        assertEquals("cls", stage.getOutputCol());
        assertEquals(c.uid(), stage.uid());
        assertEquals(before, stage.transform(df).select("cls").collectAsList());
        assertEquals(before, stage.copy(new org.apache.spark.ml.param.ParamMap()).transform(df).select("cls").collectAsList());
    }

    /** A URI goes through Hadoop's file system (here file:, as hdfs: or s3a: would); an ONNX file is converted on the driver. */
    @Test
    void modelsComeFromHadoopUrisAndOnnxFiles(@TempDir Path dir) throws Exception {
        Path sepnet = dir.resolve("m.sepnet");
        Path onnx = dir.resolve("m.onnx");
        ModelIO.save(Pretrained.load(MODEL), sepnet);
        ModelIO.save(Pretrained.load(MODEL), onnx);
        Dataset<Row> df = ImageFrames.of(spark, images.limit(40), "u", 2);
        List<Row> want = new SepnetClassifier().setModel(MODEL).transform(df).select("prediction").collectAsList();
        assertEquals(want, new SepnetClassifier().setModel(sepnet.toUri().toString()).transform(df).select("prediction").collectAsList());
        SepnetClassifier fromOnnx = new SepnetClassifier().setModel(onnx.toUri().toString());
        assertEquals(40, fromOnnx.transform(df).filter("prediction is not null").count());
        assertMessage(java.io.UncheckedIOException.class, "model file:/no/such.sepnet: no such file",
                () -> new SepnetClassifier().setModel("file:/no/such.sepnet").transform(df));
    }

    @Test
    void onePredictorServesEveryTaskAndTransformOfAModel() {
        ExecutorPredictors.closeIdle();
        int built = ExecutorPredictors.builds();
        SepnetClassifier c = new SepnetClassifier().setModel(MODEL).setBatchSize(9).setProbabilityCol("");
        Dataset<Row> df = ImageFrames.of(spark, images, "r", 5);
        assertEquals(N, c.transform(df).count());
        assertEquals(N, c.transform(df).collectAsList().size());
        assertEquals(1, ExecutorPredictors.builds() - built, "predictors built for 10 tasks of one model");
    }

    @Test
    void mistakesSayWhatWasExpected() {
        Dataset<Row> df = ImageFrames.of(spark, images.limit(4), "m", 1);
        assertMessage(IllegalArgumentException.class, "no input column 'pixels'; the columns are image, label",
                () -> new SepnetClassifier().setModel(MODEL).setInputCol("pixels").transform(df));
        assertMessage(IllegalArgumentException.class, "input column 'label' is int; expected an image struct",
                () -> new SepnetClassifier().setModel(MODEL).setInputCol("label").transform(df));
        assertMessage(IllegalArgumentException.class, "output column 'label' already exists",
                () -> new SepnetClassifier().setModel(MODEL).setOutputCol("label").transform(df));
        assertMessage(IllegalArgumentException.class, "batchSize 0; expected 1 to 4096", () -> new SepnetClassifier().setBatchSize(0));
        assertMessage(IllegalArgumentException.class, "unknown backend 'tpu'", () -> new SepnetClassifier().setBackend("tpu"));
        assertMessage(IllegalArgumentException.class, "no model: call setModel", () -> new SepnetClassifier().transform(df));
        assertMessage(java.io.UncheckedIOException.class, "model /no/such.sepnet: no such file",
                () -> new SepnetClassifier().setModel("/no/such.sepnet").transform(df));
    }

    private static void assertMessage(Class<? extends Throwable> type, String part, org.junit.jupiter.api.function.Executable run) {
        Throwable t = assertThrows(type, run);
        assertTrue(t.getMessage().contains(part), t.getMessage());
    }

    private static Object floats(int n, float v) {
        Float[] f = new Float[n];
        java.util.Arrays.fill(f, v);
        return f;
    }

    private static Map<String, Row> byName(List<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : rows) {
            m.put(r.getString(0), r);
        }
        return m;
    }

    private static String messages(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getMessage()).append(" | ");
        }
        return b.toString();
    }

    @Test
    void imageFramesHoldBgrStructs() {
        byte[] px = new byte[3 * 2 * 2];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) i;  // planes: red 0..3, green 4..7, blue 8..11
        }
        ImageSet color = ImageSet.of(px, new byte[] {0}, Shape.of(3, 2, 2), 1);
        Row img = ImageFrames.imageRow(color, 0, "x");
        assertEquals(16, img.getInt(4));
        assertArrayEquals(new byte[] {8, 4, 0, 9, 5, 1, 10, 6, 2, 11, 7, 3}, img.getAs(5));
    }
}
