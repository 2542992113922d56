package org.sepnet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sepnet.io.ModelIO;
import org.sepnet.io.Pretrained;
import org.sepnet.testing.DocExamples;
import org.sepnet.testing.Seeds;

/** The Java example of docs/spark.md, as written there, on PNG files in a temporary directory. */
class DocExampleTest {
    @Test
    void theDocsExampleRuns(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        byte[] px = LocalSpark.grayImages(Seeds.of("doc"), 5, 28, 28);
        Path folder = Files.createDirectory(dir.resolve("incoming"));
        for (int i = 0; i < 5; i++) {
            Files.write(folder.resolve(i + ".png"), LocalSpark.png(px, i * 784, 28, 28));
        }
        ModelIO.save(Pretrained.load(SepnetClassifierTest.MODEL), dir.resolve("m.sepnet"));
        String model = dir.resolve("m.sepnet").toString();  // (test)
        String incoming = folder.toString(), predictions = dir.resolve("p").toString(), pipelineDir = dir.resolve("s").toString();  // (test)

        // --- docs/spark.md ---
        SepnetClassifier classifier = new SepnetClassifier().setModel(model).setInputCol("image").setPredictedLabelCol("class");
        Dataset<Row> images = spark.read().format("image").load(incoming);
        Dataset<Row> out = classifier.transform(images);                                      // + prediction, probability, class
        out.select("image.origin", "class").write().parquet(predictions);
        System.out.println(classifier.lastRun().badRows() + " bad rows; ran on " + classifier.lastRun().backends());

        new Pipeline().setStages(new PipelineStage[] {classifier}).fit(images).write().save(pipelineDir);
        PipelineModel again = PipelineModel.load(pipelineDir);                                // carries the model: no other file needed
        // --- end ---

        assertEquals(5, spark.read().parquet(predictions).filter("class is not null").count());
        assertEquals(0, classifier.lastRun().badRows());
        assertEquals(5, again.transform(images).filter("class is not null").count());
        DocExamples.assertInDocument(Path.of("src/test/java/org/sepnet/spark/DocExampleTest.java"), "docs/spark.md",
                Path.of("../docs/spark.md"));
    }
}
