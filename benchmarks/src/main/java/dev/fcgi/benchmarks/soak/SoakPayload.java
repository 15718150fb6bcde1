package dev.fcgi.benchmarks.soak;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * The bodies of the soak: a stream of bytes that a seed and a length determine (splitmix64, little-endian words),
 * so that the driver and the handler produce the same bytes without sending them to each other, and a body that
 * belongs to one request can never pass for another's. The response body of request {@code id} uses seed
 * {@link #responseSeed(long)}, its upload {@link #requestSeed(long)}.
 */
public final class SoakPayload extends InputStream {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final int BUFFER_SIZE = 64 * 1024;

    private long state;
    private long left;
    private long word;
    private int wordBytes;

    /** The {@code length} bytes of seed {@code seed}. */
    public SoakPayload(long seed, long length) {
        if (length < 0) {
            throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
        }
        this.state = seed;
        this.left = length;
    }

    /** The seed of the response body of request {@code id}. */
    public static long responseSeed(long id) {
        return id;
    }

    /** The seed of the request body (upload) of request {@code id}. */
    public static long requestSeed(long id) {
        return ~id;
    }

    /** The CRC32C of the {@code length} bytes of seed {@code seed}. */
    public static long crc32c(long seed, long length) {
        try (SoakPayload payload = new SoakPayload(seed, length)) {
            return Sum.of(payload).crc32c();
        } catch (IOException e) {
            throw new IllegalStateException("a payload does not fail", e);
        }
    }

    /** The whole payload in an array: for small bodies. */
    public byte[] toByteArray() {
        if (left > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(left + " bytes do not fit in an array");
        }
        byte[] bytes = new byte[(int) left];
        read(bytes, 0, bytes.length);
        return bytes;
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (left == 0) {
            return len == 0 ? 0 : -1;
        }
        int n = (int) Math.min(len, left);
        int i = 0;
        while (i < n) {
            if (wordBytes == 0 && n - i >= Long.BYTES) {
                LONGS.set(b, off + i, next());
                i += Long.BYTES;
            } else {
                if (wordBytes == 0) {
                    word = next();
                    wordBytes = Long.BYTES;
                }
                b[off + i++] = (byte) word;
                word >>>= 8;
                wordBytes--;
            }
        }
        left -= n;
        return n;
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    private long next() {
        long z = state += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The length and CRC32C of a body. */
    public record Sum(long length, long crc32c) {

        /** Reads {@code in} to its end. */
        public static Sum of(InputStream in) throws IOException {
            CRC32C crc = new CRC32C();
            byte[] buffer = new byte[BUFFER_SIZE];
            long length = 0;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                crc.update(buffer, 0, n);
                length += n;
            }
            return new Sum(length, crc.getValue());
        }

        /** A CRC32C as the headers carry it: 8 hex digits. */
        public static String hex(long crc32c) {
            return HexFormat.of().toHexDigits((int) crc32c);
        }
    }
}
