package org.sepnet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

/** Encoded images are judged by their header before their pixels are allocated. */
class RowDecoderTest {
    /** A 1×1 gray PNG whose header is rewritten to claim {@code w}×{@code h} (with a matching CRC). */
    static byte[] pngClaiming(int w, int h) throws Exception {
        byte[] png = LocalSpark.png(new byte[1], 0, 1, 1);
        ByteBuffer b = ByteBuffer.wrap(png);
        b.putInt(16, w).putInt(20, h);  // IHDR data starts after the 8-byte signature, the length and "IHDR"
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);  // "IHDR" and its 13 data bytes
        b.putInt(29, (int) crc.getValue());
        return png;
    }

    @Test
    void aHugeImageIsRefusedFromItsHeader() throws Exception {
        RowDecoder resizing = new RowDecoder(InputKind.ENCODED, null, new int[] {1, 28, 28}, true, null);
        RowDecoder.BadRow e = assertThrows(RowDecoder.BadRow.class,
                () -> resizing.decode(RowFactory.create((Object) pngClaiming(40000, 40000)), 0, new float[784], 0));
        assertEquals("image 40000×40000; expected at most 67108864 pixels", e.getMessage());
        RowDecoder exact = new RowDecoder(InputKind.ENCODED, null, new int[] {1, 28, 28}, false, null);
        e = assertThrows(RowDecoder.BadRow.class,
                () -> exact.decode(RowFactory.create((Object) pngClaiming(30, 28)), 0, new float[784], 0));
        assertTrue(e.getMessage().startsWith("image 30×28; the model takes 28×28"), e.getMessage());
    }
}
