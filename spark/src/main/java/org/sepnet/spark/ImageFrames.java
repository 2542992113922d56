package org.sepnet.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sepnet.data.ImageSet;

/**
 * A labeled image set as a DataFrame in the layout of Spark's image source: a column {@code image}
 * (origin, height, width, nChannels, mode, data: 8-bit rows of interleaved BGR, as
 * {@code spark.read().format("image")} gives them) and a column {@code label}.
 */
public final class ImageFrames {
    private ImageFrames() {}

    /** The schema: {@code image} (Spark's image struct) and {@code label} (int). */
    public static StructType schema() {
        return new StructType().add("image", ImageSchema.columnSchema(), true).add("label", DataTypes.IntegerType, false);
    }

    /** Image {@code i} of {@code set} as a Spark image struct with the given origin. */
    public static Row imageRow(ImageSet set, int i, String origin) {
        int c = set.imageShape().dim(0);
        int h = set.imageShape().dim(1);
        int w = set.imageShape().dim(2);
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException("images of " + c + " channels; Spark's image struct holds 1 or 3 (BGR)");
        }
        byte[] chw = set.bytes(i);
        byte[] hwc = chw;
        if (c == 3) {
            hwc = new byte[chw.length];
            int plane = h * w;
            for (int p = 0; p < plane; p++) {
                hwc[3 * p] = chw[2 * plane + p];  // blue
                hwc[3 * p + 1] = chw[plane + p];
                hwc[3 * p + 2] = chw[p];  // red
            }
        }
        return RowFactory.create(origin, h, w, c, c == 1 ? 0 : 16, hwc);
    }

    /** The images of {@code set} in {@code partitions} partitions of consecutive images; origins are {@code name/index}. */
    public static Dataset<Row> of(SparkSession spark, ImageSet set, String name, int partitions) {
        List<Row> rows = new ArrayList<>(set.size());
        for (int i = 0; i < set.size(); i++) {
            rows.add(RowFactory.create(imageRow(set, i, name + "/" + i), set.label(i)));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(rows, partitions), schema());
    }
}
