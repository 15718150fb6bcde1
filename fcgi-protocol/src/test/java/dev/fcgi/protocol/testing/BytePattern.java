package dev.fcgi.protocol.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The large test body whose byte i is {@code i % 251} (the echo example's ECHO_BYTES answer; its digest is
 * {@link Sha256#ofPattern(long, int)}): written in blocks of about 64 KiB, and checked byte by byte as it is read.
 */
public final class BytePattern {

    /** Byte i of the pattern is {@code i % MODULUS}. */
    public static final int MODULUS = 251;

    private BytePattern() {
    }

    /** Writes {@code count} bytes of the pattern to {@code out}, adding each block written to {@code written}. */
    public static void write(OutputStream out, long count, AtomicLong written) throws IOException {
        byte[] block = new byte[MODULUS * 256];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i % MODULUS);
        }
        for (long left = count; left > 0; ) {
            int n = (int) Math.min(left, block.length);
            out.write(block, 0, n);
            written.addAndGet(n);
            left -= n;
        }
    }

    /** Reads a body of the pattern, counting its bytes and noting the first one that is off. */
    public static final class Reader {
        private final byte[] buffer = new byte[64 * 1024];
        private long read;
        private long firstMismatch = -1;

        /** Reads up to {@code max} more bytes from {@code in}, or to its end. */
        public void read(InputStream in, long max) throws IOException {
            long end = read + max < 0 ? Long.MAX_VALUE : read + max;
            while (read < end) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, end - read));
                if (n < 0) {
                    return;
                }
                for (int i = 0; i < n && firstMismatch < 0; i++) {
                    if (buffer[i] != (byte) ((read + i) % MODULUS)) {
                        firstMismatch = read + i;
                    }
                }
                read += n;
            }
        }

        /** Bytes read so far. */
        public long bytesRead() {
            return read;
        }

        /** The offset of the first byte that was not {@code i % 251}, or -1. */
        public long firstMismatch() {
            return firstMismatch;
        }
    }
}
