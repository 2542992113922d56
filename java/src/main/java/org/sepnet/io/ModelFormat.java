package org.sepnet.io;

/**
 * The constants of the {@code .sepnet} format (see {@link ModelFile} and docs/model-file.md): the
 * header, section kinds, graph node tags and tensor encodings. Values are part of the format:
 * never renumber one.
 */
final class ModelFormat {
    private ModelFormat() {}

    static final byte[] MAGIC = {'S', 'E', 'P', 'N', 'E', 'T', 0, '\n'};
    /** Files without an INPUT section are written as version 1, which older readers take. */
    static final int VERSION = 2;
    static final int FIRST_VERSION = 1;
    static final int HEADER = 16;
    static final int SECTION_HEADER = 12;
    static final int MAX_DEPTH = 200;

    // Section kinds.
    static final int META = 1;
    static final int GRAPH = 2;
    static final int TENSOR = 3;
    static final int INPUT = 4;

    // Graph node tags.
    static final int SEQUENTIAL = 1;
    static final int RESIDUAL = 2;
    static final int SEP_MODULE = 3;
    static final int CONCAT = 4;
    static final int CONV = 10;
    static final int PATTERN_CONV = 11;
    static final int PRB = 12;
    static final int BATCH_NORM = 13;
    static final int RELU = 14;
    static final int POOL = 15;
    static final int LINEAR = 16;
    static final int SOFTMAX = 17;

    // Tensor encodings.
    static final int FLOAT32 = 1;
    static final int INT8 = 2;
    static final int SIGNS = 3;

    static String kindName(int kind) {
        return switch (kind) {
            case META -> "META";
            case GRAPH -> "GRAPH";
            case TENSOR -> "TENSOR";
            case INPUT -> "INPUT";
            default -> "unknown";
        };
    }
}
