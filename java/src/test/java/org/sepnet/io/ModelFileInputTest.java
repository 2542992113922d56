package org.sepnet.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.sepnet.data.Normalization;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.tensor.Shape;
import org.sepnet.testing.Seeds;

/**
 * The INPUT section of the .sepnet format (version 2): a model's normalization and class names
 * survive a round trip, a model without them is still written as version 1, and damage to the
 * section behind a valid checksum is rejected as corrupt, never as another exception.
 */
class ModelFileInputTest {
    static final List<String> LABELS = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
            "Ankle boot");

    static Model trained() {
        Model m = Zoo.build("resnet20", 3, Shape.of(1, 28, 28), 10);
        return m.withData(new Normalization(new float[] {0.2860f}, new float[] {0.3530f}), LABELS);
    }

    @Test
    void normalizationAndLabelsRoundTrip() throws Exception {
        Model m = trained();
        byte[] file = ModelFile.encode(m);
        assertEquals(2, file[8], "format version");
        Model back = ModelFile.decode(file, "f");
        assertEquals(m.normalization(), back.normalization());
        assertEquals(LABELS, back.labels());
        assertArrayEquals(file, ModelFile.encode(back), "re-encoded bytes");
        assertEquals("input", ModelFile.sections(file, "f").get(1).label());
        // Labels alone, normalization alone.
        for (Model v : List.of(m.withData(null, LABELS), m.withData(m.normalization(), List.of()))) {
            Model b = ModelFile.decode(ModelFile.encode(v), "f");
            assertEquals(v.normalization(), b.normalization());
            assertEquals(v.labels(), b.labels());
        }
    }

    @Test
    void aModelThatKnowsNoDataStaysVersionOne() throws Exception {
        Model m = Zoo.build("resnet20", 3);
        byte[] file = ModelFile.encode(m);
        assertEquals(1, file[8], "format version");
        Model back = ModelFile.decode(file, "f");
        assertNull(back.normalization());
        assertTrue(back.labels().isEmpty());
    }

    @Test
    void labelsMustMatchTheOutputsAndChannelsTheInput() {
        Model m = trained();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.withData(new Normalization(new float[] {0, 0, 0}, new float[] {1, 1, 1}), List.of()));
        assertTrue(e.getMessage().contains("normalization for 3 channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.withData(null, LABELS.subList(0, 9)));
        assertTrue(e.getMessage().contains("9 class names for a model with 10 outputs"), e.getMessage());
        // A writer that got it wrong anyway: the reader refuses the file.
        byte[] file = ModelFile.encode(m);
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int input = 16 + 12 + b.getInt(16 + 4) + 12;  // the INPUT payload
        int count = input + 1 + 4 + 4;                 // after the channel count, one mean and one deviation
        assertEquals(10, b.getInt(count));
        b.putInt(count, 9);
        CRC32 crc = new CRC32();
        crc.update(file, input, b.getInt(input - 8));
        b.putInt(input - 4, (int) crc.getValue());
        CorruptModelException c = assertThrows(CorruptModelException.class, () -> ModelFile.decode(file, "f"));
        assertTrue(c.getMessage().contains("9 class names; the model has 10 outputs"), c.getMessage());
    }

    /** Every byte of the section changed in turn (checksum recomputed): a consistent model or a CorruptModelException. */
    @Test
    void damageBehindTheChecksumIsCaught() {
        byte[] file = ModelFile.encode(trained());
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int pos = 16 + 12 + b.getInt(16 + 4);  // after META
        int start = pos + 12;
        int length = b.getInt(pos + 4);
        SplittableRandom r = new SplittableRandom(Seeds.of("input-section"));
        int rejected = 0;
        for (int i = 0; i < length; i++) {
            for (int t = 0; t < 4; t++) {
                byte[] d = file.clone();
                d[start + i] ^= (byte) (1 + r.nextInt(255));
                CRC32 c = new CRC32();
                c.update(d, start, length);
                ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putInt(start - 4, (int) c.getValue());
                try {
                    Model m = ModelFile.decode(d, "damaged");
                    assertEquals(m.labels().isEmpty() ? 0 : 10, m.labels().size());
                } catch (CorruptModelException e) {
                    assertTrue(e.getMessage().startsWith("damaged: "), e.getMessage());
                    rejected++;
                } catch (RuntimeException e) {
                    throw new AssertionError("byte " + i + " of the INPUT section changed: " + e + " " + Seeds.replay("input-section"), e);
                }
            }
        }
        assertTrue(rejected > length, rejected + " of " + 4 * length + " damaged sections rejected");
    }
}
