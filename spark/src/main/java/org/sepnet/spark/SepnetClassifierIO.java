package org.sepnet.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Saving and loading a {@link SepnetClassifier} as Spark ML saves its own stages: the parameters
 * as JSON metadata under {@code path/metadata}, and the model's {@code .sepnet} bytes (with its
 * name and SHA-256) as one Parquet row under {@code path/data}, so a saved pipeline carries its
 * model wherever it is copied.
 */
final class SepnetClassifierIO {
    private static final StructType DATA = new StructType()
            .add("name", DataTypes.StringType, false)
            .add("sha256", DataTypes.StringType, false)
            .add("model", DataTypes.BinaryType, false);

    private SepnetClassifierIO() {}

    static final class Writer extends MLWriter {
        private final SepnetClassifier stage;

        Writer(SepnetClassifier stage) {
            this.stage = stage;
        }

        @Override
        public void saveImpl(String path) {
            ShippedModel m = stage.shipped(sparkSession());
            DefaultParamsWriter$.MODULE$.saveMetadata(stage, path, sparkSession());
            Row row = RowFactory.create(m.model.name(), m.id, m.bytes);
            sparkSession().createDataFrame(List.of(row), DATA).repartition(1).write().parquet(path + "/data");
        }
    }

    static final class Reader extends MLReader<SepnetClassifier> {
        @Override
        public SepnetClassifier load(String path) {
            DefaultParamsReader.Metadata meta = DefaultParamsReader$.MODULE$.loadMetadata(path, sparkSession(),
                    SepnetClassifier.class.getName());
            SepnetClassifier c = new SepnetClassifier(meta.uid());
            meta.getAndSetParams(c, scala.Option.empty());
            List<Row> rows = sparkSession().read().parquet(path + "/data").collectAsList();
            if (rows.size() != 1) {
                throw new IllegalStateException(path + "/data holds " + rows.size() + " models; expected 1");
            }
            Row r = rows.get(0);
            try {
                ShippedModel m = ShippedModel.decode(r.getAs("model"), r.getAs("name"));
                if (!m.id.equals(r.getAs("sha256"))) {
                    throw new IOException(path + "/data: the model's SHA-256 is " + m.id + "; the saved one is " + r.getAs("sha256"));
                }
                c.useShipped(m, c.getModel());
            } catch (IOException e) {
                throw new UncheckedIOException(path + ": " + e.getMessage(), e);
            }
            return c;
        }
    }
}
