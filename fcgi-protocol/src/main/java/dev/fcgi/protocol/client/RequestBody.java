package dev.fcgi.protocol.client;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** The content of a request's STDIN or DATA stream. */
sealed interface RequestBody {

    /** No content: the stream is just its empty end record. */
    RequestBody EMPTY = new Bytes(new byte[0]);

    /** The length in bytes, or -1 when it is not known in advance. */
    long length();

    /** Whether the content can be sent again, for a retry. */
    boolean replayable();

    /** Opens the content for reading; for a stream, the stream itself (once only). */
    InputStream open() throws IOException;

    /** Content held in memory, written straight from the event loop. */
    record Bytes(byte[] bytes) implements RequestBody {
        public Bytes {
            Objects.requireNonNull(bytes, "bytes");
        }

        @Override
        public long length() {
            return bytes.length;
        }

        @Override
        public boolean replayable() {
            return true;
        }

        @Override
        public InputStream open() {
            return new ByteArrayInputStream(bytes);
        }
    }

    /** The content of a file, read on a separate thread each time it is sent. */
    record File(Path path, long length) implements RequestBody {
        static File of(Path path) {
            try {
                return new File(path, Files.size(path));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the size of " + path, e);
            }
        }

        @Override
        public boolean replayable() {
            return true;
        }

        @Override
        public InputStream open() throws IOException {
            return Files.newInputStream(path);
        }
    }

    /** A caller's stream, pumped on a separate thread; it can be sent only once. */
    record Stream(InputStream stream, long length) implements RequestBody {
        public Stream {
            Objects.requireNonNull(stream, "stream");
        }

        @Override
        public boolean replayable() {
            return false;
        }

        @Override
        public InputStream open() {
            return stream;
        }
    }
}
