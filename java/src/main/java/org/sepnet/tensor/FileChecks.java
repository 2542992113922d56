package org.sepnet.tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The one-line errors for a path that cannot be read as the file it should be. */
public final class FileChecks {
    private FileChecks() {}

    /**
     * Returns {@code file} when it is a regular file this process can read; otherwise throws an
     * {@link IOException} naming it and saying why ({@link NoSuchFileException} when it does not exist).
     *
     * @param expected what it should be, e.g. "a .npy file"
     */
    public static Path readable(Path file, String expected) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        if (Files.isDirectory(file)) {
            throw new IOException(file + " is a directory; expected " + expected);
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " is not a regular file; expected " + expected);
        }
        if (!Files.isReadable(file)) {
            throw new IOException(file + ": permission denied (this user cannot read it)");
        }
        return file;
    }
}
