package dev.fcgi.protocol.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A chunked request body read to its end to learn its length, as nginx does before it passes such a body to
 * FastCGI (PHP reads {@code php://input} and {@code $_POST} only with a {@code CONTENT_LENGTH}). Up to
 * {@code memoryThreshold} bytes stay in memory; a larger body goes to a temporary file that is unlinked as soon as
 * it is open, so nothing is left behind whatever happens to the process. Not thread-safe; close it once the body
 * has been sent.
 */
final class BodySpool implements AutoCloseable {

    private static final int CHUNK = 64 * 1024;

    private ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private FileChannel file;
    private long length;

    private BodySpool() {
    }

    /**
     * Reads {@code body} to its end. The caller checks the size limit as the body arrives; the stream fails (for
     * example with {@link BodyTooLargeException}) to stop the spooling.
     */
    static BodySpool spool(InputStream body, int memoryThreshold, Path directory) throws IOException {
        BodySpool spool = new BodySpool();
        try {
            byte[] buffer = new byte[CHUNK];
            int n;
            while ((n = body.read(buffer)) >= 0) {
                spool.write(buffer, n, memoryThreshold, directory);
            }
            return spool;
        } catch (IOException | RuntimeException e) {
            spool.close();
            throw e;
        }
    }

    private void write(byte[] buffer, int n, int memoryThreshold, Path directory) throws IOException {
        if (file == null && memory.size() + (long) n > memoryThreshold) {
            file = openUnlinked(directory);
            writeFully(memory.toByteArray(), memory.size());
            memory = null;
        }
        if (file != null) {
            writeFully(buffer, n);
        } else {
            memory.write(buffer, 0, n);
        }
        length += n;
    }

    private static FileChannel openUnlinked(Path directory) throws IOException {
        Path path = Files.createTempFile(directory, "fcgi-gateway-", ".body");
        try {
            return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } finally {
            Files.delete(path);
        }
    }

    private void writeFully(byte[] bytes, int n) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, n);
        while (buffer.hasRemaining()) {
            file.write(buffer);
        }
    }

    /** The body's length in bytes. */
    long length() {
        return length;
    }

    /** Whether the body went to a file. */
    boolean isOnDisk() {
        return file != null;
    }

    /** The body when it is held in memory, else null. */
    byte[] bytes() {
        return file == null ? memory.toByteArray() : null;
    }

    /** The spooled file from its start; closing the stream closes (and so deletes) the file. */
    InputStream openFile() throws IOException {
        file.position(0);
        return Channels.newInputStream(file);
    }

    /** Frees the memory or closes (and so deletes) the file. Idempotent. */
    @Override
    public void close() {
        memory = null;
        if (file != null) {
            try {
                file.close();
            } catch (IOException ignored) {
                // the file is unlinked: closing only frees the descriptor
            }
        }
    }
}
