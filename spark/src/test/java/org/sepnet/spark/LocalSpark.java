package org.sepnet.spark;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;

/** The tests' Spark: one local[2] session per test JVM (made again if a test stopped it), and test images. */
final class LocalSpark {
    private static SparkSession session;

    private LocalSpark() {}

    static synchronized SparkSession session() {
        if (session == null || session.sparkContext().isStopped()) {
            session = SparkSession.builder().master("local[2]").appName("sepnet tests").config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "2").getOrCreate();
            session.sparkContext().setLogLevel("WARN");
        }
        return session;
    }

    /** {@code n} random 8-bit gray images of {@code h}×{@code w}, back to back. */
    static byte[] grayImages(long seed, int n, int h, int w) {
        byte[] b = new byte[n * h * w];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** An 8-bit gray image as PNG bytes. */
    static byte[] png(byte[] gray, int offset, int h, int w) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, gray[offset + y * w + x] & 0xFF);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }
}
