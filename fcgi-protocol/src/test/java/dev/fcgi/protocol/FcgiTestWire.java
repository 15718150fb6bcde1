package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.IntUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wire helpers for the codec tests: building byte arrays, feeding a decoder in slices, and reducing decoded
 * records to a form that does not depend on how the input was split.
 */
final class FcgiTestWire {

    /** Feeds the whole input in one buffer. */
    static final int WHOLE = Integer.MAX_VALUE;
    /** Read sizes for {@link #outcome}: everything left in one read. */
    static final IntUnaryOperator WHOLE_READS = left -> left;

    private FcgiTestWire() {
    }

    /** The given values as bytes; each must be 0 to 255. */
    static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] > 0xFF) {
                throw new IllegalArgumentException("not a byte: " + values[i]);
            }
            out[i] = (byte) values[i];
        }
        return out;
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] zeros(int length) {
        return new byte[length];
    }

    /** {@code length} bytes of a recognisable pattern, so that a misplaced slice shows. */
    static byte[] pattern(int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = (byte) (i * 31 + (i >>> 8));
        }
        return out;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** A record header: version 1, reserved 0. */
    static byte[] header(int type, int requestId, int contentLength, int paddingLength) {
        return bytes(1, type, requestId >>> 8, requestId & 0xFF, contentLength >>> 8, contentLength & 0xFF,
                paddingLength, 0);
    }

    /** One record with the padding the encoder uses (to a multiple of 8). */
    static byte[] record(int type, int requestId, byte[] content) {
        int padding = -content.length & 7;
        return concat(header(type, requestId, content.length, padding), content, zeros(padding));
    }

    /** {@code content} as PARAMS records of at most {@code maxRecord} bytes each, then the empty PARAMS record. */
    static byte[] paramsStream(int requestId, byte[] content, int maxRecord) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int at = 0; at < content.length; at += maxRecord) {
            out.writeBytes(record(FcgiRecordType.PARAMS.code(), requestId,
                    Arrays.copyOfRange(content, at, Math.min(content.length, at + maxRecord))));
        }
        out.writeBytes(record(FcgiRecordType.PARAMS.code(), requestId, new byte[0]));
        return out.toByteArray();
    }

    /** The pairs as the name-value encoding writes them. */
    static byte[] pairs(FcgiParameters params) {
        ByteBuf buf = Unpooled.buffer(params.encodedLength());
        FcgiNameValuePairs.encode(buf, params);
        return ByteBufUtil.getBytes(buf);
    }

    /** A leak-tracked buffer (from the default allocator) holding {@code bytes}. */
    static ByteBuf buffer(byte[] bytes) {
        return ByteBufAllocator.DEFAULT.buffer(bytes.length).writeBytes(bytes);
    }

    /**
     * Writes {@code wire} into {@code ch} as retained slices of one leak-tracked buffer, {@code chunk} bytes at a
     * time. An exception from the channel stops the feeding and propagates; the buffer is released either way.
     */
    static void feed(EmbeddedChannel ch, byte[] wire, int chunk) {
        ByteBuf root = buffer(wire);
        try {
            while (root.isReadable()) {
                ch.writeInbound(root.readRetainedSlice(Math.min(chunk, root.readableBytes())));
            }
        } finally {
            root.release();
        }
    }

    /**
     * Decodes {@code wire} fed {@code chunk} bytes at a time into its {@linkplain #canonical canonical} form, with
     * every record released and the channel finished cleanly.
     */
    static List<Object> decode(byte[] wire, int chunk) {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        ByteBuf root = buffer(wire);
        List<Object> decoded;
        try {
            while (root.isReadable()) {
                ch.writeInbound(root.readRetainedSlice(Math.min(chunk, root.readableBytes())));
            }
            decoded = readAll(ch);
            assertFalse(ch.finish());
        } finally {
            root.release();
        }
        assertEquals(0, root.refCnt(), "the decoder still holds the input");
        return decoded;
    }

    /** What decoding one input gave: its records in {@linkplain #canonical canonical} form, and the protocol error. */
    record Outcome(List<Object> records, String error) {
    }

    /**
     * Decodes {@code wire} in reads whose sizes {@code reads} picks from the bytes left, tolerating a protocol
     * error: only {@link FcgiProtocolException} is caught (at most one, and no record may follow it); anything else
     * escapes. Checks that the decoder let go of every input buffer.
     */
    static Outcome outcome(byte[] wire, IntUnaryOperator reads) {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        List<FcgiRecord> records = new ArrayList<>();
        ByteBuf root = buffer(wire);
        String error = null;
        try {
            while (root.isReadable()) {
                int n = reads.applyAsInt(root.readableBytes());
                try {
                    boolean produced = ch.writeInbound(root.readRetainedSlice(n));
                    assertFalse(error != null && produced, "a record after a protocol error");
                } catch (FcgiProtocolException e) {
                    assertNull(error, "a second protocol error");
                    error = e.getMessage();
                }
                drain(ch, records);
            }
            try {
                ch.finish();
            } catch (FcgiProtocolException e) {
                assertNull(error, "a second protocol error");
                error = e.getMessage();
            }
            drain(ch, records);
        } finally {
            root.release();
            ch.finishAndReleaseAll();
        }
        List<Object> canonical = canonical(records);
        assertEquals(0, root.refCnt(), "the input buffer was not released");
        return new Outcome(canonical, error);
    }

    private static void drain(EmbeddedChannel ch, List<FcgiRecord> records) {
        for (Object msg; (msg = ch.readInbound()) != null; ) {
            records.add((FcgiRecord) msg);
        }
    }

    /** Reads every inbound record, in the canonical form, releasing each. */
    static List<Object> readAll(EmbeddedChannel ch) {
        List<FcgiRecord> records = new ArrayList<>();
        for (Object msg; (msg = ch.readInbound()) != null; ) {
            records.add((FcgiRecord) msg);
        }
        return canonical(records);
    }

    /**
     * Reduces records to values that do not depend on how the wire was split: each run of non-empty stream records
     * of the same type and request becomes one {@link Chunk}; an empty stream record stays an empty chunk (end of
     * stream); other records are values already. Releases every stream record. (A slice may share its reference
     * count with the buffer it came from, so whether a release freed memory shows on the input buffer, not here.)
     */
    static List<Object> canonical(List<? extends FcgiRecord> records) {
        List<Object> out = new ArrayList<>();
        ByteArrayOutputStream run = new ByteArrayOutputStream();
        FcgiStreamRecord runHead = null;
        for (FcgiRecord record : records) {
            if (record instanceof FcgiStreamRecord stream && !stream.isEndOfStream()) {
                if (runHead != null && (runHead.type() != stream.type() || runHead.requestId() != stream.requestId())) {
                    out.add(new Chunk(runHead.type(), runHead.requestId(), run.toByteArray()));
                    run.reset();
                }
                runHead = stream;
                run.writeBytes(ByteBufUtil.getBytes(stream.content()));
                stream.release();
                continue;
            }
            if (runHead != null) {
                out.add(new Chunk(runHead.type(), runHead.requestId(), run.toByteArray()));
                run.reset();
                runHead = null;
            }
            if (record instanceof FcgiStreamRecord end) {
                out.add(new Chunk(end.type(), end.requestId(), new byte[0]));
                end.release();
            } else {
                out.add(record);
            }
        }
        if (runHead != null) {
            out.add(new Chunk(runHead.type(), runHead.requestId(), run.toByteArray()));
        }
        return out;
    }

    /** Encodes {@code records} with the shared encoder and returns the bytes written, releasing every buffer. */
    static byte[] encode(FcgiRecord... records) {
        EmbeddedChannel ch = new EmbeddedChannel(FcgiRecordEncoder.INSTANCE);
        assertTrue(ch.writeOutbound((Object[]) records));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf buf; (buf = ch.readOutbound()) != null; ) {
            out.writeBytes(ByteBufUtil.getBytes(buf));
            buf.release();
        }
        assertFalse(ch.finish());
        return out.toByteArray();
    }

    static String hex(byte[] bytes) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes);
    }

    /** The content of a run of stream records, compared by value. */
    record Chunk(FcgiRecordType type, int requestId, byte[] content) {

        static Chunk of(FcgiRecordType type, int requestId, byte[] content) {
            return new Chunk(type, requestId, content);
        }

        static Chunk end(FcgiRecordType type, int requestId) {
            return new Chunk(type, requestId, new byte[0]);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Chunk other && type == other.type && requestId == other.requestId
                    && Arrays.equals(content, other.content);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * type.hashCode() + requestId) + Arrays.hashCode(content);
        }

        @Override
        public String toString() {
            String shown = content.length <= 64 ? hex(content)
                    : hex(Arrays.copyOf(content, 32)) + " ... (" + content.length + " bytes, hash "
                            + Integer.toHexString(Arrays.hashCode(content)) + ')';
            return type + "(id " + requestId + ", " + shown + ')';
        }
    }
}
