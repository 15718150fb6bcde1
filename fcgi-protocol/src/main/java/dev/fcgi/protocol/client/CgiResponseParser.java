package dev.fcgi.protocol.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Parses the CGI header block at the start of a STDOUT stream (RFC 3875 section 6): lines {@code Name: value}
 * ended by LF or CRLF, then an empty line. A line with a CR or NUL inside is malformed (RFC 9110 section 5.5). {@code Status: NNN reason} sets the status; a {@code Location} without a
 * Status means 302; otherwise 200. The block may arrive split over any number of records. Not thread-safe: used on
 * one connection's event loop.
 */
final class CgiResponseParser {

    /** The parsed header block. */
    record Head(int status, String reason, List<Map.Entry<String, String>> headers) {
    }

    /** A complete header block and the first body bytes that followed it in the same chunk (or null). */
    record Parsed(Head head, ByteBuf rest) {
    }

    private final int maxLength;
    private ByteBuf buffer;
    private int scanned;
    private int lineStart;

    CgiResponseParser(int maxLength) {
        this.maxLength = maxLength;
    }

    /**
     * Feeds STDOUT content (the caller keeps its reference). Returns null while the header block is incomplete.
     *
     * @throws FcgiClientException when the block is longer than the limit or malformed
     */
    Parsed feed(ByteBufAllocator alloc, ByteBuf chunk) throws FcgiClientException {
        if (buffer == null) {
            buffer = alloc.heapBuffer(Math.min(maxLength + 1, Math.max(256, chunk.readableBytes())));
        }
        buffer.writeBytes(chunk, chunk.readerIndex(), chunk.readableBytes());
        int end = buffer.writerIndex();
        for (int i = scanned; i < end; i++) {
            if (buffer.getByte(i) != '\n') {
                continue;
            }
            int lineEnd = i > lineStart && buffer.getByte(i - 1) == '\r' ? i - 1 : i;
            if (lineEnd == lineStart) {
                int blockLength = i + 1;
                if (blockLength > maxLength) {
                    throw tooLong(blockLength);
                }
                Head head = parse(buffer.toString(0, lineStart, StandardCharsets.ISO_8859_1));
                ByteBuf rest = end > blockLength ? buffer.retainedSlice(blockLength, end - blockLength) : null;
                release();
                return new Parsed(head, rest);
            }
            lineStart = i + 1;
        }
        scanned = end;
        if (end > maxLength) {
            throw tooLong(end);
        }
        return null;
    }

    /** How many bytes of STDOUT were fed so far. */
    int length() {
        return buffer == null ? 0 : buffer.writerIndex();
    }

    /** Frees the buffered bytes; idempotent. */
    void release() {
        if (buffer != null) {
            buffer.release();
            buffer = null;
        }
    }

    private FcgiClientException tooLong(int length) {
        return new FcgiClientException("CGI response header block too long: more than " + maxLength
                + " bytes without the empty line that ends it (" + length + " bytes received; see maxResponseHeaderLength)");
    }

    /** Parses the header lines of a block (without its final empty line). */
    static Head parse(String block) throws FcgiClientException {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        String statusValue = null;
        boolean location = false;
        int start = 0;
        while (start < block.length()) {
            int nl = block.indexOf('\n', start);
            int end = nl < 0 ? block.length() : nl;
            String line = block.substring(start, end > start && block.charAt(end - 1) == '\r' ? end - 1 : end);
            start = end + 1;
            int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line, colon) || line.indexOf('\r') >= 0 || line.indexOf('\0') >= 0) {
                throw new FcgiClientException("malformed CGI response header line: \"" + printable(line) + '"');
            }
            String name = line.substring(0, colon);
            String value = line.substring(colon + 1).strip();
            if (name.equalsIgnoreCase("Status")) {
                if (statusValue != null) {
                    throw new FcgiClientException("malformed CGI response: two Status headers");
                }
                statusValue = value;
                continue;
            }
            if (name.equalsIgnoreCase("Location")) {
                location = true;
            }
            headers.add(Map.entry(name, value));
        }
        int status;
        String reason;
        if (statusValue != null) {
            int space = statusValue.indexOf(' ');
            String code = space < 0 ? statusValue : statusValue.substring(0, space);
            if (code.length() != 3 || !isDigits(code) || code.charAt(0) == '0') {
                throw new FcgiClientException("malformed CGI Status header: \"" + printable(statusValue)
                        + "\" (expected: a three-digit code and an optional reason)");
            }
            status = Integer.parseInt(code);
            reason = space < 0 ? "" : statusValue.substring(space + 1).strip();
            if (reason.isEmpty()) {
                reason = dev.fcgi.protocol.FcgiHttpReasons.standard(status);
            }
        } else if (location) {
            status = 302;
            reason = "Found";
        } else {
            status = 200;
            reason = "OK";
        }
        return new Head(status, reason, Collections.unmodifiableList(headers));
    }

    private static boolean isToken(String line, int end) {
        for (int i = 0; i < end; i++) {
            char c = line.charAt(i);
            if (c <= ' ' || c >= 0x7F) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static String printable(String s) {
        String cut = s.length() > 100 ? s.substring(0, 100) + "..." : s;
        StringBuilder out = new StringBuilder(cut.length());
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            out.append(c < ' ' || c == 0x7F ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return out.toString();
    }

}
