package org.sepnet.io;

import java.io.IOException;

/** A model file that is truncated, corrupted, of another version, or inconsistent; the message says where and what. */
public final class CorruptModelException extends IOException {
    public CorruptModelException(String message) {
        super(message);
    }

    public CorruptModelException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * What an importer reports for {@code e}, raised while reading the model {@code name}: its
     * message, led by the name; an exception that is not an I/O error says the file is malformed.
     */
    static CorruptModelException of(String name, Exception e) {
        if (e instanceof CorruptModelException c) {
            return c;
        }
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            return new CorruptModelException(name + ": not a network this library can run: " + m, e);
        }
        if (e instanceof java.io.IOException) {
            return new CorruptModelException(m.startsWith(name) ? m : name + ": " + m, e);
        }
        return new CorruptModelException(name + ": malformed model (" + e + ")", e);
    }
}
