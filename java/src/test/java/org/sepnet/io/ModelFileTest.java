package org.sepnet.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sepnet.backend.Backends;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.layers.Summary;
import org.sepnet.layers.Transforms;
import org.sepnet.models.Model;
import org.sepnet.models.Zoo;
import org.sepnet.testing.Data;
import org.sepnet.testing.Outputs;
import org.sepnet.testing.Seeds;

/**
 * The .sepnet format: every zoo model in every variant survives a round trip bit for bit; the
 * size bound of the paper's SEP-Net-BQ; damaged files (truncated, flipped bytes, wrong version,
 * lengths that would over-allocate, payloads that are well formed but inconsistent) are all
 * rejected with a {@link CorruptModelException}, never another exception.
 */
class ModelFileTest {
    enum Variant { FLOAT, BINARIZED, BQ }

    static Model build(String name, Variant v, long seed) {
        Model m = Zoo.build(name, seed);
        if (v != Variant.FLOAT) {
            m = m.with(Transforms.binarize(m.graph(), Zoo.authorsBinarization(name)), "+binarized");
        }
        if (v == Variant.BQ) {
            m = m.with(Transforms.quantize8(m.graph()), "+int8");
        }
        return m;
    }

    static Stream<Arguments> models() {
        List<Arguments> out = new ArrayList<>();
        for (String name : Zoo.names()) {
            for (Variant v : Variant.values()) {
                out.add(Arguments.of(name, v));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("models")
    void everyZooModelRoundTripsBitForBit(String name, Variant variant) throws Exception {
        Model m = build(name, variant, 3);
        byte[] file = ModelFile.encode(m);
        Model back = ModelFile.decode(file, name);
        assertEquals(m.name(), back.name());
        assertEquals(m.description(), back.description());
        assertEquals(m.input(), back.input());
        // Encoding is deterministic, so equal bytes mean every layer, tag and weight came back.
        assertArrayEquals(file, ModelFile.encode(back));
        Summary a = Summary.of(m.graph(), m.input());
        Summary b = Summary.of(back.graph(), back.input());
        assertEquals(a.paperParams(), b.paperParams());
        assertEquals(a.bytes(), b.bytes());
        // The weights dominate the file: the rest (names, geometry, section headers) stays under 200 bytes a layer.
        long overhead = file.length - a.bytes();
        assertTrue(overhead >= 0 && overhead <= 200L * a.rows().size(),
                name + " " + variant + ": " + file.length + " bytes for " + a.bytes() + " of weights in " + a.rows().size() + " layers");
    }

    @Test
    void decodedModelComputesTheSameOutputs() throws Exception {
        for (Variant v : Variant.values()) {
            Model m = build("sepnet-small", v, 4);
            Model back = ModelFile.decode(ModelFile.encode(m), "m");
            float[] x = Data.uniform((int) m.input().size(), new SplittableRandom(Seeds.of("decoded" + v)));
            float[] expected = Outputs.run(m, Backends.best(), 1, x, 1);
            assertArrayEquals(expected, Outputs.run(back, Backends.best(), 1, x, 1), v.toString());
        }
    }

    @Test
    void sepNetBqSmallFitsInOnePointTwoMegabytes(@TempDir Path dir) throws Exception {
        Model m = build("sepnet-small", Variant.BQ, 1);
        Path file = dir.resolve("sepnet-bq-small.sepnet");
        ModelIO.save(m, file);
        long size = Files.size(file);
        assertTrue(size <= 1_200_000, "SEP-Net-BQ small takes " + size + " bytes; expected at most 1,200,000");
        assertEquals(ModelIO.Format.SEPNET, ModelIO.formatOf(file));
        assertArrayEquals(ModelFile.encode(m), ModelFile.encode(ModelIO.load(file, null)));
    }

    // ------------------------------------------------------------------ damaged files

    /** A small file with every tensor encoding: float32 (first conv), int8 (the rest), sign bits. */
    private static byte[] sample() {
        return ModelFile.encode(build("resnet20", Variant.BQ, 2));
    }

    private static void assertRejected(byte[] data, String what) {
        try {
            ModelFile.decode(data, "damaged");
            fail(what + ": a damaged file was accepted");
        } catch (CorruptModelException e) {
            assertTrue(e.getMessage().startsWith("damaged"), what + ": message does not name the file: " + e.getMessage());
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": failed with " + e + " instead of a CorruptModelException", e);
        }
    }

    @Test
    void everyTruncationIsRejected() {
        byte[] file = sample();
        SplittableRandom r = new SplittableRandom(Seeds.of("truncate"));
        List<Integer> lengths = new ArrayList<>();
        for (int i = 0; i <= 200; i++) {
            lengths.add(i);
        }
        for (int i = 0; i < 300; i++) {
            lengths.add(r.nextInt(file.length));
        }
        lengths.add(file.length - 1);
        for (int n : lengths) {
            assertRejected(java.util.Arrays.copyOf(file, n), "truncated to " + n + " bytes " + Seeds.replay("truncate"));
        }
        byte[] longer = java.util.Arrays.copyOf(file, file.length + 1);
        assertRejected(longer, "one byte appended");
    }

    @Test
    void everyByteFlipIsRejected() {
        byte[] file = sample();
        SplittableRandom r = new SplittableRandom(Seeds.of("flip"));
        // Every byte of the header and the first section headers, then random positions.
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            positions.add(i);
        }
        for (int i = 0; i < 1500; i++) {
            positions.add(r.nextInt(file.length));
        }
        for (int pos : positions) {
            byte[] d = file.clone();
            d[pos] ^= (byte) (1 + r.nextInt(255));
            assertRejected(d, "byte " + pos + " flipped " + Seeds.replay("flip"));
        }
    }

    @Test
    void wrongMagicAndVersionAreNamed() {
        byte[] file = sample();
        byte[] v3 = file.clone();
        v3[8] = 3;
        CorruptModelException e = assertThrows(CorruptModelException.class, () -> ModelFile.decode(v3, "f"));
        assertTrue(e.getMessage().contains("format version 3; this library reads versions 1 to 2"), e.getMessage());
        byte[] v2 = file.clone();
        v2[8] = 2;  // a version-2 file must have its INPUT section second
        e = assertThrows(CorruptModelException.class, () -> ModelFile.decode(v2, "f"));
        assertTrue(e.getMessage().contains("section 1 is of kind 2; expected INPUT"), e.getMessage());
        byte[] magic = file.clone();
        magic[0] = 'X';
        e = assertThrows(CorruptModelException.class, () -> ModelFile.decode(magic, "f"));
        assertTrue(e.getMessage().contains("wrong magic"), e.getMessage());
        byte[] crc = file.clone();
        crc[crc.length - 1] ^= 1;
        e = assertThrows(CorruptModelException.class, () -> ModelFile.decode(crc, "f"));
        assertTrue(e.getMessage().contains("fails its checksum"), e.getMessage());
    }

    /** Offsets and lengths of the sections' payloads. */
    private static List<int[]> sections(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int count = b.getInt(12);
        List<int[]> out = new ArrayList<>();
        int pos = 16;
        for (int i = 0; i < count; i++) {
            int len = b.getInt(pos + 4);
            out.add(new int[] {pos + 12, len});
            pos += 12 + len;
        }
        return out;
    }

    /** Recomputes the checksum of the section holding payload offset {@code start}. */
    private static void reseal(byte[] file, int[] section) {
        CRC32 c = new CRC32();
        c.update(file, section[0], section[1]);
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(section[0] - 4, (int) c.getValue());
    }

    /**
     * Damage behind valid checksums, as a buggy writer would produce: random bytes of the meta,
     * graph and tensor headers changed and the checksum recomputed. The reader must either decode
     * a model that is consistent (a changed weight value, say) or reject the file; it must never
     * fail otherwise, allocate what the file does not hold, or hang.
     */
    @Test
    void wellFormedButInconsistentPayloadsFailCleanly() {
        byte[] file = sample();
        List<int[]> sections = sections(file);
        SplittableRandom r = new SplittableRandom(Seeds.of("payload"));
        int rejected = 0;
        int trials = 0;
        for (int s = 0; s < sections.size(); s++) {
            int[] sec = sections.get(s);
            // Meta and graph everywhere; tensors in their headers (name, encoding, dimensions), where lengths live.
            int span = s < 2 ? sec[1] : Math.min(sec[1], 48);
            int tries = s < 2 ? 1500 : 10;
            for (int t = 0; t < tries; t++) {
                byte[] d = file.clone();
                int pos = sec[0] + r.nextInt(span);
                d[pos] ^= (byte) (1 + r.nextInt(255));
                reseal(d, sec);
                trials++;
                try {
                    Model m = ModelFile.decode(d, "damaged");
                    m.graph().outputShape(m.input());
                } catch (CorruptModelException e) {
                    rejected++;
                } catch (RuntimeException | Error e) {
                    throw new AssertionError("section " + s + " byte " + (pos - sec[0]) + " changed: " + e + " " + Seeds.replay("payload"), e);
                }
            }
        }
        // Many changes land in names or batch-norm values and legitimately still make a model; the rest must be caught.
        assertTrue(rejected > 0, rejected + " of " + trials + " rejected");
    }

    /** Input dimensions whose product overflows a long: corrupt, not an ArithmeticException. */
    @Test
    void metaDimensionsThatOverflowAreCorrupt() {
        byte[] file = sample();
        int[] meta = sections(file).get(0);
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int pos = meta[0];
        pos += 4 + b.getInt(pos);  // model name
        pos += 4 + b.getInt(pos);  // description
        int rank = file[pos] & 0xff;
        byte[] d = file.clone();
        ByteBuffer w = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rank; i++) {
            w.putInt(pos + 1 + 4 * i, Integer.MAX_VALUE);
        }
        reseal(d, meta);
        CorruptModelException e = assertThrows(CorruptModelException.class, () -> ModelFile.decode(d, "f"));
        assertTrue(e.getMessage().startsWith("f: "), e.getMessage());
    }

    @Test
    void hugeLengthsAreRejectedBeforeAllocating() {
        byte[] file = sample();
        List<int[]> sections = sections(file);
        // The first tensor: name (u32 length + bytes), encoding, then outputs, inputs, kh, kw as u32.
        int[] t0 = sections.get(2);
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int dims = t0[0] + 4 + b.getInt(t0[0]) + 1;
        for (int[] v : new int[][] {{Integer.MAX_VALUE, Integer.MAX_VALUE, 7, 7}, {1 << 20, 1 << 10, 3, 3}, {65536, 65536, 1, 1}}) {
            byte[] d = file.clone();
            ByteBuffer w = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 4; i++) {
                w.putInt(dims + 4 * i, v[i]);
            }
            reseal(d, t0);
            CorruptModelException e = assertThrows(CorruptModelException.class, () -> ModelFile.decode(d, "f"));
            assertTrue(e.getMessage().contains("TENSOR section 2"), e.getMessage());
        }
        // A string length of 2 GiB in the meta section.
        byte[] d = file.clone();
        ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putInt(sections.get(0)[0], Integer.MAX_VALUE);
        reseal(d, sections.get(0));
        CorruptModelException e = assertThrows(CorruptModelException.class, () -> ModelFile.decode(d, "f"));
        assertTrue(e.getMessage().contains("model name needs 2147483647 bytes"), e.getMessage());
    }

    @Test
    void theGraphMustUseEveryTensor() {
        // A file with one tensor too many: the graph's last tensor section duplicated.
        byte[] file = sample();
        List<int[]> sections = sections(file);
        int[] last = sections.get(sections.size() - 1);
        byte[] d = java.util.Arrays.copyOf(file, file.length + 12 + last[1]);
        System.arraycopy(file, last[0] - 12, d, file.length, 12 + last[1]);
        ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putInt(12, sections.size() + 1);
        CorruptModelException e = assertThrows(CorruptModelException.class, () -> ModelFile.decode(d, "f"));
        assertTrue(e.getMessage().contains("the graph uses " + (sections.size() - 2) + " tensors but the file has " + (sections.size() - 1)),
                e.getMessage());
    }

    @Test
    void unknownFormatsAreNamed(@TempDir Path dir) throws Exception {
        Path txt = dir.resolve("model.txt");
        Files.writeString(txt, "hello");
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> ModelIO.load(txt, null));
        assertTrue(e.getMessage().contains("unknown model format"), e.getMessage());
        Path fake = dir.resolve("model.sepnet");
        Files.writeString(fake, "not a model at all");
        e = assertThrows(CorruptModelException.class, () -> ModelIO.load(fake, null));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> ModelIO.load(dir.resolve("missing.onnx"), null));
    }

    @Test
    void saveReplacesAtomicallyAndLeavesNoTemporaryFiles(@TempDir Path dir) throws Exception {
        Model m = build("resnet20", Variant.BINARIZED, 1);
        Path f = dir.resolve("r.sepnet");
        Files.writeString(f, "old");
        ModelIO.save(m, f);
        ModelIO.save(m, dir.resolve("r.onnx"));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("r.onnx", "r.sepnet"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(ModelIO.Format.SEPNET, ModelIO.formatOf(f));
        assertThrows(java.io.IOException.class, () -> ModelIO.save(m, dir.resolve("r.caffemodel")));
        // The reference backend reads the saved model like the original.
        float[] x = Data.uniform(3 * 32 * 32, new SplittableRandom(Seeds.of("save")));
        assertArrayEquals(Outputs.run(m, ReferenceBackend.instance(), 1, x, 1), Outputs.run(ModelIO.load(f, null), ReferenceBackend.instance(), 1, x, 1));
    }
}
