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
}
