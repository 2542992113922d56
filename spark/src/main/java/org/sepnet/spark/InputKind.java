package org.sepnet.spark;

import java.io.Serializable;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What an input column holds, told from its type on the driver: Spark's image struct
 * ({@code spark.read.format("image")}), encoded image bytes ({@code binaryFile}'s {@code content}),
 * or the values of one image, channels first, in [0, 1], as an array of floats or doubles or as an ML vector.
 */
enum InputKind {
    IMAGE("an image struct"),
    ENCODED("encoded image bytes"),
    FLOATS("array<float>"),
    DOUBLES("array<double>"),
    VECTOR("vector");

    static final String EXPECTED = "expected an image struct (spark.read.format(\"image\")), binary (an encoded image, as binaryFile's "
            + "content), array<float>, array<double> or a vector of values in [0, 1], channels first";

    private final String description;

    InputKind(String description) {
        this.description = description;
    }

    String description() {
        return description;
    }

    /**
     * The kind of a column of type {@code t}.
     *
     * @throws IllegalArgumentException naming the column and its type when it holds no images
     */
    static InputKind of(String column, DataType t) {
        if (t instanceof StructType s) {
            for (String f : ImageSchema.columnSchema().fieldNames()) {
                if (!java.util.Arrays.asList(s.fieldNames()).contains(f)) {
                    throw new IllegalArgumentException("input column '" + column + "' is " + t.simpleString() + ", a struct without the image field '"
                            + f + "'; " + EXPECTED);
                }
            }
            return IMAGE;
        }
        if (t.equals(DataTypes.BinaryType)) {
            return ENCODED;
        }
        if (t instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType)) {
            return FLOATS;
        }
        if (t instanceof ArrayType a && a.elementType().equals(DataTypes.DoubleType)) {
            return DOUBLES;
        }
        if (t.equals(SQLDataTypes.VectorType())) {
            return VECTOR;
        }
        throw new IllegalArgumentException("input column '" + column + "' is " + t.simpleString() + "; " + EXPECTED);
    }

    /** Where the image fields sit in an image struct of this schema (computed once, on the driver). */
    record ImageFields(int height, int width, int channels, int mode, int data) implements Serializable {
        static ImageFields of(StructType s) {
            return new ImageFields(s.fieldIndex("height"), s.fieldIndex("width"), s.fieldIndex("nChannels"), s.fieldIndex("mode"),
                    s.fieldIndex("data"));
        }
    }
}
