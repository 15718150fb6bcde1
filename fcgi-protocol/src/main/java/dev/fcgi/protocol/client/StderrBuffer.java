package dev.fcgi.protocol.client;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** What an application wrote to FCGI_STDERR for one request: the first {@code limit} bytes, and a count. */
final class StderrBuffer {

    private final int limit;
    private byte[] bytes = new byte[0];
    private int length;
    private long total;

    StderrBuffer(int limit) {
        this.limit = limit;
    }

    /** Appends what fits of {@code content}; the caller keeps ownership of the buffer. */
    synchronized void append(ByteBuf content) {
        int n = content.readableBytes();
        total += n;
        int keep = Math.min(n, limit - length);
        if (keep <= 0) {
            return;
        }
        if (length + keep > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.min(limit, Math.max(length + keep, bytes.length * 2)));
        }
        content.getBytes(content.readerIndex(), bytes, length, keep);
        length += keep;
    }

    /** The bytes kept, as UTF-8, followed by a note when some were dropped. */
    synchronized String text() {
        String text = new String(bytes, 0, length, StandardCharsets.UTF_8);
        return total > length ? text + "\n[" + (total - length) + " more bytes of stderr dropped]" : text;
    }

    synchronized long totalBytes() {
        return total;
    }

    /** The first line or so, for exception messages. */
    String excerpt() {
        String text = text().strip();
        if (text.isEmpty()) {
            return "";
        }
        return "; stderr: " + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
    }
}
