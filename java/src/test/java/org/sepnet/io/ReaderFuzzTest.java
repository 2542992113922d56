package org.sepnet.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.sepnet.models.Model;
import org.sepnet.tensor.HostTensor;
import org.sepnet.tensor.Npy;

/**
 * Coverage-guided fuzzing of every file reader: whatever the bytes, a reader returns a model (or
 * tensor) or throws an {@link IOException} ({@link CorruptModelException} for model files) with a
 * message; any other exception, a hang or a crash is a finding. A normal build replays the
 * committed inputs under {@code src/test/resources/org/sepnet/io/ReaderFuzzTestInputs/<reader>/}
 * (seeds plus every input that once failed); {@code -Pfuzz} fuzzes (docs/reliability.md).
 */
class ReaderFuzzTest {
    /** The bytes as given, then with every section's checksum made right, so mutations reach the parsers behind it. */
    @FuzzTest(maxDuration = "10m")
    void sepnet(byte[] data) {
        for (byte[] d : new byte[][] {data, resealed(data)}) {
            try {
                Model m = ModelFile.decode(d, "fuzz.sepnet");
                m.graph().outputShape(m.input());
            } catch (CorruptModelException expected) {
                requireMessage(expected);
            }
        }
    }

    /** A copy with the CRC-32 of each whole section stored in its header (format: docs/model-file.md). */
    private static byte[] resealed(byte[] data) {
        byte[] d = data.clone();
        if (d.length < ModelFormat.HEADER) {
            return d;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(d).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int count = b.getInt(12);
        int pos = ModelFormat.HEADER;
        for (int i = 0; i < count && pos + ModelFormat.SECTION_HEADER <= d.length; i++) {
            long length = b.getInt(pos + 4) & 0xffffffffL;
            if (pos + ModelFormat.SECTION_HEADER + length > d.length) {
                break;
            }
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(d, pos + ModelFormat.SECTION_HEADER, (int) length);
            b.putInt(pos + 8, (int) crc.getValue());
            pos += ModelFormat.SECTION_HEADER + (int) length;
        }
        return d;
    }

    @FuzzTest(maxDuration = "10m")
    void onnx(byte[] data) {
        try {
            Model m = OnnxImporter.read(data, "fuzz", null);
            m.graph().outputShape(m.input());
        } catch (CorruptModelException expected) {
            requireMessage(expected);
        } catch (IOException e) {
            throw new AssertionError("an ONNX import error that is not a CorruptModelException: " + e, e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void caffe(byte[] data) {
        try {
            Model m = CaffeImporter.read(data, "fuzz", null);
            m.graph().outputShape(m.input());
        } catch (CorruptModelException expected) {
            requireMessage(expected);
        } catch (IOException e) {
            throw new AssertionError("a Caffe import error that is not a CorruptModelException: " + e, e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void npy(byte[] data) {
        try (HostTensor t = Npy.read(new ByteArrayInputStream(data), "fuzz.npy")) {
            t.toArray();
        } catch (IOException expected) {
            requireMessage(expected);
        }
    }

    /**
     * A message, and no bug behind it: the importers turn any exception into a
     * CorruptModelException so users never see a stack trace, but one that reached that net
     * (an index out of bounds, an overflow) is a check missing where the file was read.
     */
    private static void requireMessage(IOException e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("an error without a message", e);
        }
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException && !(cause instanceof IllegalArgumentException || cause instanceof IllegalStateException)) {
            throw new AssertionError("an unchecked exception reached the importer's safety net: " + cause, e);
        }
    }
}
