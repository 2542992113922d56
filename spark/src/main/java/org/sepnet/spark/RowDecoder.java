package org.sepnet.spark;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.sepnet.predict.Predictor;

/**
 * Turns one row's input value into the [C, H, W] values in [0, 1] a {@link Predictor} takes. An
 * 8-bit gray image of the model's size is read as pixel/255 directly (the arithmetic the data
 * sets and {@code ./sepnet eval} use); color images, other sizes (with resizing on) and encoded
 * images go through a {@link BufferedImage} and {@link Predictor#pixels}, so channels and resizing
 * are handled as the Java API handles them. A value that cannot be used throws {@link BadRow}.
 */
final class RowDecoder {
    /** OpenCV's 8-bit types, the modes of Spark's image source: 1, 3 (BGR) and 4 (BGRA) channels. */
    private static final int CV_8UC1 = 0;
    private static final int CV_8UC3 = 16;
    private static final int CV_8UC4 = 24;
    /** Encoded images larger than this (width × height) are refused before decoding: 64 megapixels. */
    static final long MAX_PIXELS = 1L << 26;

    /** A row that cannot be classified, and why; cheap (no stack trace) because bad rows may be many. */
    static final class BadRow extends Exception {
        BadRow(String reason) {
            super(reason, null, false, false);
        }
    }

    private final InputKind kind;
    private final InputKind.ImageFields fields;
    private final int channels;
    private final int height;
    private final int width;
    private final boolean resize;
    private final Predictor predictor;

    RowDecoder(InputKind kind, InputKind.ImageFields fields, int[] chw, boolean resize, Predictor predictor) {
        this.kind = kind;
        this.fields = fields;
        this.channels = chw[0];
        this.height = chw[1];
        this.width = chw[2];
        this.resize = resize;
        this.predictor = predictor;
    }

    /** Writes the image in column {@code col} of {@code row} to {@code dst} from {@code offset}. */
    void decode(Row row, int col, float[] dst, int offset) throws BadRow {
        if (row.isNullAt(col)) {
            throw new BadRow("null " + kind.description());
        }
        switch (kind) {
            case IMAGE -> image(row.getStruct(col), dst, offset);
            case ENCODED -> encoded(row.getAs(col), dst, offset);
            case FLOATS -> values(row.getList(col), dst, offset);
            case DOUBLES -> values(row.getList(col), dst, offset);
            case VECTOR -> vector(row.getAs(col), dst, offset);
            default -> throw new IllegalStateException("input kind " + kind);
        }
    }

    private void image(Row img, float[] dst, int offset) throws BadRow {
        int h = img.getInt(fields.height());
        int w = img.getInt(fields.width());
        int n = img.getInt(fields.channels());
        int mode = img.getInt(fields.mode());
        byte[] data = img.isNullAt(fields.data()) ? null : img.getAs(fields.data());
        if (mode < 0 || n < 1) {  // ImageSchema's row for a file it could not decode (kept unless dropInvalid)
            throw new BadRow("an image Spark could not decode (mode " + mode + ", " + n + " channels)");
        }
        int expectedMode = n == 1 ? CV_8UC1 : n == 3 ? CV_8UC3 : n == 4 ? CV_8UC4 : -1;
        if (mode != expectedMode) {
            throw new BadRow("image mode " + mode + " with " + n + " channels; expected 8-bit images of 1, 3 or 4 channels (modes 0, 16, 24)");
        }
        if (h < 1 || w < 1 || data == null || (long) h * w * n != data.length) {
            throw new BadRow("image " + w + "×" + h + "×" + n + " with " + (data == null ? "no" : String.valueOf(data.length))
                    + " data bytes; expected width × height × channels");
        }
        checkSize(w, h);
        if (n == 1 && channels == 1 && w == width && h == height) {
            for (int i = 0; i < data.length; i++) {
                dst[offset + i] = (data[i] & 0xFF) / 255f;
            }
            return;
        }
        BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = (y * w + x) * n;
                int blue = data[p] & 0xFF;
                int green = n == 1 ? blue : data[p + 1] & 0xFF;
                int red = n == 1 ? blue : data[p + 2] & 0xFF;
                b.setRGB(x, y, red << 16 | green << 8 | blue);
            }
        }
        pixels(b, dst, offset);
    }

    private void encoded(byte[] bytes, float[] dst, int offset) throws BadRow {
        BufferedImage b;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new BadRow("undecodable image (" + bytes.length + " bytes); expected PNG, JPEG, BMP or GIF");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                // The header's size first: a wrong size or a huge image is refused before its pixels are allocated.
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                checkSize(w, h);
                if ((long) w * h > MAX_PIXELS) {
                    throw new BadRow("image " + w + "×" + h + "; expected at most " + MAX_PIXELS + " pixels");
                }
                b = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new BadRow("undecodable image (" + bytes.length + " bytes): " + e.getMessage());
        }
        pixels(b, dst, offset);
    }

    private void values(List<?> v, float[] dst, int offset) throws BadRow {
        checkLength(v.size());
        for (int i = 0; i < v.size(); i++) {
            Object o = v.get(i);
            if (o == null) {
                throw new BadRow("null value at " + i);
            }
            dst[offset + i] = ((Number) o).floatValue();
        }
    }

    private void vector(Vector v, float[] dst, int offset) throws BadRow {
        checkLength(v.size());
        for (int i = 0; i < v.size(); i++) {
            dst[offset + i] = (float) v.apply(i);
        }
    }

    private void checkLength(int n) throws BadRow {
        if (n != channels * height * width) {
            throw new BadRow(n + " values; expected " + channels * height * width + " (" + channels + "×" + height + "×" + width + ")");
        }
    }

    private void checkSize(int w, int h) throws BadRow {
        if (!resize && (w != width || h != height)) {
            throw new BadRow("image " + w + "×" + h + "; the model takes " + width + "×" + height + " (setResize(true) resizes)");
        }
    }

    private void pixels(BufferedImage b, float[] dst, int offset) throws BadRow {
        float[] x;
        try {
            x = predictor.pixels(b);
        } catch (IllegalArgumentException e) {  // a model of neither 1 nor 3 channels
            throw new BadRow(e.getMessage());
        }
        System.arraycopy(x, 0, dst, offset, x.length);
    }
}
