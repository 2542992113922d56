package org.sepnet.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.sepnet.models.Model;
import org.sepnet.pattern.PatternWeights;
import org.sepnet.tensor.AtomicFile;

/**
 * The {@code .sepnet} model file: a compact, checksummed encoding of a {@link Model}.
 *
 * <p>Layout (little-endian): magic {@code "SEPNET\0\n"} (8 bytes), format version (u16, = 1),
 * flags (u16, = 0), section count (u32); then sections, each: kind (u16), reserved (u16), payload
 * length (u32), CRC-32 of the payload (u32), payload. Sections: one META (name, description, input
 * shape), one GRAPH (the layer tree, pre-order), then one TENSOR per weight tensor, in the order the
 * graph refers to them. A tensor is stored as float32, as int8 with one float scale per output
 * channel, or as packed sign bits with one float α per filter (the {@link PatternWeights} format);
 * a bias, when present, follows as float32. docs/model-file.md has the byte-level details.
 *
 * <p>Reading rejects, with a message naming the section and byte offset: a wrong magic or
 * version, a checksum mismatch, a truncation, a length larger than the bytes left (checked before
 * allocating), an unknown tag, a dangling tensor index, and weights that do not fit their layer.
 */
public final class ModelFile {
    private ModelFile() {}

    /** One section of a file, for {@code inspect}. */
    public record Section(int kind, String label, int bytes) {}

    /** Writes {@code model} to {@code file}, atomically ({@link AtomicFile}). */
    public static void write(Model model, Path file) throws IOException {
        AtomicFile.write(file, encode(model));
    }

    /** The file bytes of {@code model}. */
    public static byte[] encode(Model model) {
        return ModelWriter.encode(model);
    }

    /** Reads a model file. */
    public static Model read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new CorruptModelException(file + " is " + size + " bytes; model files are at most 2 GiB");
        }
        return decode(Files.readAllBytes(file), file.toString());
    }

    /** Decodes file bytes; {@code name} appears in errors. */
    public static Model decode(byte[] data, String name) throws CorruptModelException {
        return ModelReader.decode(data, name);
    }

    /** The sections of a file, without decoding them (checksums are verified). */
    public static List<Section> sections(byte[] data, String name) throws CorruptModelException {
        return ModelReader.sections(data, name);
    }
}
