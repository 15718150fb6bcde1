package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.fcgi.protocol.FcgiTestWire.WHOLE;
import static dev.fcgi.protocol.FcgiTestWire.ascii;
import static dev.fcgi.protocol.FcgiTestWire.buffer;
import static dev.fcgi.protocol.FcgiTestWire.bytes;
import static dev.fcgi.protocol.FcgiTestWire.concat;
import static dev.fcgi.protocol.FcgiTestWire.hex;
import static dev.fcgi.protocol.FcgiTestWire.pairs;
import static dev.fcgi.protocol.FcgiTestWire.paramsStream;
import static dev.fcgi.protocol.FcgiTestWire.pattern;
import static dev.fcgi.protocol.FcgiTestWire.record;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The name-value pair encoding (statements 11 to 19): {@link FcgiNameValuePairs}, the streaming
 * {@link FcgiNameValueDecoder} fed through {@link FcgiRecordDecoder}, and {@link FcgiParameters}.
 */
class FcgiNameValueDecoderTest {

    private static final int PARAMS = 4;
    private static final long LIMIT = 1 << 20;
    private static final int MAX_PAIRS = 1000;
    /**
     * What a decode that allocates nothing for a declared length may still allocate (first-use bootstrapping of
     * string concatenation, lambdas, exceptions): far below the 1 to 2 GiB an eager allocation would take.
     */
    private static final long ALLOCATION_SLACK = 32 << 20;

    // spec L, Appendix B ex. 2: the split-pair stress input.
    private static final byte[] TWO_SHORT_PAIRS = concat(
            bytes(0x0B, 0x02), ascii("SERVER_PORT"), ascii("80"),               // 11, 2
            bytes(0x0B, 0x0E), ascii("SERVER_ADDR"), ascii("199.170.183.42"));  // 11, 14

    // A pair with four-byte lengths on both sides, so that cuts fall inside them.
    private static final byte[] LONG_PAIR = concat(
            bytes(0x80, 0x00, 0x00, 0x81),  // nameLength: 129, in four bytes
            bytes(0x80, 0x00, 0x00, 0xC8),  // valueLength: 200, in four bytes
            ascii("N".repeat(129)),
            pattern(200),
            bytes(0x01, 0x00), ascii("E")); // and a short pair after it: "E" = ""

    @Test
    @DisplayName("spec 11: lengths up to 127 take one byte, from 128 four with the high bit set (golden vectors)")
    void lengthEncoding() {
        assertEquals("00", writeLength(0));
        assertEquals("7f", writeLength(127));
        assertEquals("80 00 00 80", writeLength(128));
        assertEquals("80 00 03 e8", writeLength(1000));
        assertEquals("81 ff ff ff", writeLength(33_554_431));
        assertEquals("ff ff ff ff", writeLength(Integer.MAX_VALUE));
        assertEquals(1, FcgiNameValuePairs.lengthOfLength(127));
        assertEquals(4, FcgiNameValuePairs.lengthOfLength(128));
        assertEquals(1 + 4 + 127 + 128, FcgiNameValuePairs.encodedLength(127, 128));
        assertThrows(IllegalArgumentException.class, () -> writeLength(-1));
    }

    @ParameterizedTest(name = "value of {0} bytes")
    @ValueSource(ints = {0, 1, 127, 128, 1000})
    @DisplayName("spec 11: the decoder reads one- and four-byte lengths at the 127/128 boundary")
    void lengthBoundary(int length) {
        FcgiParameters params = new FcgiParameters()
                .add("N".repeat(127), pattern(length))
                .add("M".repeat(128), pattern(length));
        byte[] content = pairs(params);
        byte[] valueLength = length <= 127 ? bytes(length)
                : bytes(0x80 | length >>> 24, length >>> 16 & 0xFF, length >>> 8 & 0xFF, length & 0xFF);
        assertArrayEquals(valueLength, Arrays.copyOfRange(content, 1, 1 + valueLength.length));
        assertEquals(params, decodeStream(paramsStream(1, content, 65535), WHOLE));
    }

    @Test
    @DisplayName("spec 11: a value of 33554431 bytes (length 81 FF FF FF) decodes")
    void thirtyTwoMebibyteValue() {
        byte[] value = pattern(33_554_431);
        byte[] head = concat(bytes(0x01), bytes(0x81, 0xFF, 0xFF, 0xFF), ascii("V"));
        FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), 64L << 20, MAX_PAIRS);
        decoder.decode(Unpooled.wrappedBuffer(head));
        for (int at = 0; at < value.length; at += 65535) {
            decoder.decode(Unpooled.wrappedBuffer(value, at, Math.min(65535, value.length - at)));
        }
        decoder.finish();
        assertEquals(1, decoder.params().size());
        assertEquals("V", decoder.params().name(0));
        assertArrayEquals(value, decoder.params().valueBytes(0));
    }

    @Test
    @DisplayName("spec 12: the four-byte form is accepted for short lengths too (80 00 00 05)")
    void fourByteFormForShortLengths() {
        byte[] content = concat(
                bytes(0x80, 0x00, 0x00, 0x05),  // nameLength: 5, in four bytes
                bytes(0x80, 0x00, 0x00, 0x02),  // valueLength: 2, in four bytes
                ascii("HELLO"), ascii("OK"));
        assertEquals(new FcgiParameters().add("HELLO", "OK"), decodeStream(paramsStream(1, content, 65535), 1));
        List<String> seen = new ArrayList<>();
        FcgiNameValuePairs.decode(Unpooled.wrappedBuffer(content), (name, value) -> seen.add(name + '=' + value));
        assertEquals(List.of("HELLO=OK"), seen);
    }

    @Test
    @DisplayName("spec 13: empty names and empty values decode, and empty values are kept (CONTENT_TYPE \"\")")
    void emptyNamesAndValues() {
        byte[] content = concat(
                bytes(0x0C, 0x00), ascii("CONTENT_TYPE"),   // CONTENT_TYPE = ""
                bytes(0x00, 0x03), ascii("abc"),            // "" = abc
                bytes(0x00, 0x00),                          // "" = ""
                bytes(0x01, 0x01), ascii("AB"));            // A = B
        FcgiParameters params = decodeStream(paramsStream(1, content, 65535), WHOLE);
        assertEquals(new FcgiParameters().add("CONTENT_TYPE", "").add("", "abc").add("", "").add("A", "B"), params);
        assertTrue(params.contains("CONTENT_TYPE"));
        assertEquals("", params.get("CONTENT_TYPE"));
        assertEquals("", params.get(""));
        assertEquals(List.of("abc", ""), params.getAll(""));
    }

    @Test
    @DisplayName("spec 14: SERVER_PORT/SERVER_ADDR split across two PARAMS records at every offset")
    void shortPairsSplitAtEveryOffset() {
        FcgiParameters expected = new FcgiParameters().add("SERVER_PORT", "80").add("SERVER_ADDR", "199.170.183.42");
        for (int cut = 1; cut < TWO_SHORT_PAIRS.length; cut++) {
            byte[] wire = splitInto(TWO_SHORT_PAIRS, cut);
            assertEquals(expected, decodeStream(wire, WHOLE), "cut at " + cut);
            assertEquals(expected, decodeStream(wire, 1), "cut at " + cut + ", byte by byte");
        }
    }

    @Test
    @DisplayName("spec 14: SERVER_PORT/SERVER_ADDR split across three PARAMS records at every pair of offsets")
    void shortPairsSplitInThree() {
        FcgiParameters expected = new FcgiParameters().add("SERVER_PORT", "80").add("SERVER_ADDR", "199.170.183.42");
        for (int first = 1; first < TWO_SHORT_PAIRS.length; first++) {
            for (int second = first; second < TWO_SHORT_PAIRS.length; second++) {
                assertEquals(expected, decodeStream(splitInto(TWO_SHORT_PAIRS, first, second), WHOLE),
                        "cuts at " + first + " and " + second);
            }
        }
    }

    @Test
    @DisplayName("spec 14: a pair with four-byte lengths split at every offset, including inside both lengths")
    void longPairSplitAtEveryOffset() {
        FcgiParameters expected = new FcgiParameters().add("N".repeat(129), pattern(200)).add("E", "");
        for (int cut = 1; cut < LONG_PAIR.length; cut++) {
            byte[] wire = splitInto(LONG_PAIR, cut);
            assertEquals(expected, decodeStream(wire, WHOLE), "cut at " + cut);
            assertEquals(expected, decodeStream(wire, 7), "cut at " + cut + ", in 7-byte slices");
        }
    }

    @Test
    @DisplayName("spec 14: the name-value decoder alone, fed one byte per call")
    void byteAtATime() {
        FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), LIMIT, MAX_PAIRS);
        for (byte b : LONG_PAIR) {
            ByteBuf one = Unpooled.wrappedBuffer(new byte[] {b});
            decoder.decode(one);
            assertFalse(one.isReadable(), "every byte is consumed");
        }
        decoder.finish();
        assertEquals(new FcgiParameters().add("N".repeat(129), pattern(200)).add("E", ""), decoder.params());
    }

    @ParameterizedTest(name = "value of {0} bytes")
    @ValueSource(ints = {32_767, 32_768, 65_535, 100_000})
    @DisplayName("spec 15: long values (32767, 32768, 65535, 100000 bytes) over two PARAMS records")
    void longValuesOverTwoRecords(int length) {
        FcgiParameters expected = new FcgiParameters().add("HTTP_COOKIE", pattern(length)).add("X", "y");
        byte[] content = pairs(expected);
        byte[] wire = paramsStream(1, content, (content.length + 1) / 2);
        assertEquals(3, countRecords(wire));
        FcgiParameters params = decodeStream(wire, 4096);
        assertEquals(expected, params);
        assertEquals(length, params.getBytes("HTTP_COOKIE").length);
    }

    @Test
    @DisplayName("spec 16: a length near 2^31 is rejected with a small limit, before allocating")
    void hugeLengthRejectedBeforeAllocating() {
        byte[][] inputs = {
                concat(bytes(0x04), bytes(0xFF, 0xFF, 0xFF, 0xFF), ascii("NAME")), // valueLength 2^31 - 1
                concat(bytes(0xFF, 0xFF, 0xFF, 0xFF), bytes(0x00), ascii("N")),    // nameLength 2^31 - 1
                concat(bytes(0x04), bytes(0xFF, 0xFF, 0xFF, 0xF0)),                // valueLength 2^31 - 16
        };
        for (byte[] input : inputs) {
            FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), 65536, MAX_PAIRS);
            long allocated = allocatedBytes(() -> {
                FcgiParamsException e = assertThrows(FcgiParamsException.class,
                        () -> decoder.decode(Unpooled.wrappedBuffer(input)));
                assertTrue(e.isTooLarge());
                assertEquals(431, e.httpStatus());
            });
            assertTrue(allocated < ALLOCATION_SLACK, allocated + " bytes allocated for " + hex(input));
        }
    }

    @Test
    @DisplayName("spec 16: a four-byte length split across records is checked once its last byte arrives")
    void hugeLengthSplitAcrossRecords() {
        FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), 65536, MAX_PAIRS);
        decoder.decode(Unpooled.wrappedBuffer(bytes(0x04, 0xFF)));
        decoder.decode(Unpooled.wrappedBuffer(bytes(0xFF, 0xFF)));
        assertThrows(FcgiParamsException.class, () -> decoder.decode(Unpooled.wrappedBuffer(bytes(0xFF))));
    }

    @Test
    @DisplayName("spec 16: name and value lengths whose sum overflows an int are rejected, not wrapped")
    void lengthSumDoesNotOverflow() {
        byte[] input = concat(
                bytes(0xC0, 0x00, 0x00, 0x00),  // nameLength: 2^30
                bytes(0xC0, 0x00, 0x00, 0x00),  // valueLength: 2^30; the sum is 2^31, negative as an int
                ascii("N"));
        FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), Integer.MAX_VALUE, MAX_PAIRS);
        long allocated = allocatedBytes(() -> assertThrows(FcgiParamsException.class,
                () -> decoder.decode(Unpooled.wrappedBuffer(input))));
        assertTrue(allocated < ALLOCATION_SLACK, allocated + " bytes allocated");
    }

    @Test
    @DisplayName("spec 16: a length of 2^31 - 1 is rejected even with no limit, since no array can hold it")
    void hugeLengthRejectedWithoutLimit() {
        FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), Long.MAX_VALUE, MAX_PAIRS);
        byte[] input = concat(bytes(0x04), bytes(0xFF, 0xFF, 0xFF, 0xFF), ascii("NAME"));
        FcgiParamsException e = assertThrows(FcgiParamsException.class,
                () -> decoder.decode(Unpooled.wrappedBuffer(input)));
        assertTrue(e.isTooLarge());
    }

    @Test
    @DisplayName("spec 16/56: memory follows the bytes received, not the length declared (1 GiB declared, 13 sent)")
    void declaredLengthAllocatesNothingUpFront() {
        FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), 4L << 30, MAX_PAIRS);
        byte[] input = concat(
                bytes(0x04),                    // nameLength: 4
                bytes(0xC0, 0x00, 0x00, 0x00),  // valueLength: 1 GiB
                ascii("NAME"), ascii("abcd"));  // and only 4 bytes of the value
        long allocated = allocatedBytes(() -> decoder.decode(Unpooled.wrappedBuffer(input)));
        assertTrue(allocated < ALLOCATION_SLACK, allocated + " bytes allocated for 13 bytes of input");
        assertThrows(FcgiParamsException.class, decoder::finish);
    }

    @Test
    @DisplayName("spec 16/56: the limit on the stream's bytes: exactly the limit passes, one more fails")
    void streamLengthLimit() {
        byte[] content = pairs(new FcgiParameters().add("A", pattern(50)).add("B", pattern(44)));
        assertEquals(100, content.length);
        FcgiNameValueDecoder exact = new FcgiNameValueDecoder(new FcgiParameters(), 100, MAX_PAIRS);
        exact.decode(Unpooled.wrappedBuffer(content));
        exact.finish();
        assertEquals(2, exact.params().size());

        FcgiNameValueDecoder over = new FcgiNameValueDecoder(new FcgiParameters(), 99, MAX_PAIRS);
        FcgiParamsException e = assertThrows(FcgiParamsException.class,
                () -> over.decode(Unpooled.wrappedBuffer(content)));
        assertTrue(e.isTooLarge());
    }

    @Test
    @DisplayName("spec 56: the limit on the number of pairs: exactly the limit passes, one more fails")
    void pairCountLimit() {
        byte[] content = pairs(new FcgiParameters().add("A", "1").add("B", "2").add("C", "3"));
        FcgiNameValueDecoder exact = new FcgiNameValueDecoder(new FcgiParameters(), LIMIT, 3);
        exact.decode(Unpooled.wrappedBuffer(content));
        exact.finish();
        assertEquals(3, exact.params().size());

        FcgiNameValueDecoder over = new FcgiNameValueDecoder(new FcgiParameters(), LIMIT, 2);
        FcgiParamsException e = assertThrows(FcgiParamsException.class,
                () -> over.decode(Unpooled.wrappedBuffer(content)));
        assertTrue(e.isTooLarge());
        assertEquals(2, over.params().size());
    }

    @Test
    @DisplayName("spec 17: finish() fails when the stream ends inside a pair, at every offset")
    void streamEndsInsidePair() {
        for (byte[] content : List.of(TWO_SHORT_PAIRS, LONG_PAIR)) {
            int firstPair = content == TWO_SHORT_PAIRS ? 15 : 4 + 4 + 129 + 200;
            for (int cut = 0; cut <= content.length; cut++) {
                FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), LIMIT, MAX_PAIRS);
                decoder.decode(Unpooled.wrappedBuffer(content, 0, cut));
                if (cut == 0 || cut == firstPair || cut == content.length) {
                    decoder.finish();
                    continue;
                }
                FcgiParamsException e = assertThrows(FcgiParamsException.class, decoder::finish, "cut at " + cut);
                assertFalse(e.isTooLarge());
                assertEquals(400, e.httpStatus());
            }
        }
    }

    @Test
    @DisplayName("spec 17: an empty PARAMS record arriving mid-pair fails the stream")
    void emptyParamsRecordMidPair() {
        byte[] wire = concat(record(PARAMS, 1, Arrays.copyOf(TWO_SHORT_PAIRS, 20)), record(PARAMS, 1, new byte[0]));
        assertThrows(FcgiParamsException.class, () -> decodeStream(wire, WHOLE));
    }

    @Test
    @DisplayName("spec 18: duplicate names are kept; get() returns the last, getAll() every one, in order")
    void duplicateNames() {
        byte[] content = concat(
                bytes(0x04, 0x01), ascii("HTTP"), ascii("1"),
                bytes(0x01, 0x01), ascii("X"), ascii("x"),
                bytes(0x04, 0x01), ascii("HTTP"), ascii("2"),
                bytes(0x04, 0x01), ascii("http"), ascii("3"));  // names are case-sensitive
        FcgiParameters params = decodeStream(paramsStream(1, content, 65535), WHOLE);
        assertEquals(4, params.size());
        assertEquals("2", params.get("HTTP"));
        assertEquals(List.of("1", "2"), params.getAll("HTTP"));
        assertEquals(List.of("3"), params.getAll("http"));
        assertEquals(List.of(), params.getAll("NONE"));
        assertNull(params.get("NONE"));
        assertEquals("none", params.get("NONE", "none"));
        List<String> order = new ArrayList<>();
        params.forEach((name, value) -> order.add(name + '=' + value));
        assertEquals(List.of("HTTP=1", "X=x", "HTTP=2", "http=3"), order);
    }

    @Test
    @DisplayName("spec 18: names and values are opaque bytes; getBytes returns non-UTF-8 values as received")
    void opaqueBytes() {
        byte[] latin1 = bytes(0xC3, 0x28, 0xFF, 0xFE, 0x80);     // not UTF-8
        byte[] name = bytes('N', 0xE9);                         // "Né" in ISO-8859-1
        byte[] content = concat(bytes(0x02, latin1.length), name, latin1);
        FcgiParameters params = decodeStream(paramsStream(1, content, 65535), WHOLE);
        String decodedName = new String(name, StandardCharsets.ISO_8859_1);
        assertEquals(decodedName, params.name(0));
        assertArrayEquals(latin1, params.getBytes(decodedName));
        assertArrayEquals(latin1, params.valueBytes(0));
        assertArrayEquals(content, pairs(params), "re-encoding gives the bytes received");
    }

    @Test
    @DisplayName("spec 19: an empty PARAMS stream (one empty record) gives empty parameters")
    void emptyParamsStream() {
        FcgiParameters params = decodeStream(record(PARAMS, 1, new byte[0]), WHOLE);
        assertTrue(params.isEmpty());
        assertEquals(0, params.encodedLength());
    }

    @Test
    @DisplayName("encodedLength() is the number of bytes encode() writes")
    void encodedLengthMatches() {
        FcgiParameters params = new FcgiParameters().add("A", "").add("N".repeat(128), pattern(127))
                .add("", pattern(128)).add("QUERY_STRING", "a=1&b=é");
        assertEquals(params.encodedLength(), pairs(params).length);
    }

    /** Decodes a PARAMS stream through the record decoder and a name-value decoder, fed {@code chunk} at a time. */
    private static FcgiParameters decodeStream(byte[] wire, int chunk) {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), LIMIT, MAX_PAIRS);
        ByteBuf root = buffer(wire);
        boolean ended = false;
        try {
            while (root.isReadable()) {
                ch.writeInbound(root.readRetainedSlice(Math.min(chunk, root.readableBytes())));
                for (FcgiParams params; (params = ch.readInbound()) != null; ) {
                    try {
                        assertFalse(ended, "records after the end of the stream");
                        if (params.isEndOfStream()) {
                            decoder.finish();
                            ended = true;
                        } else {
                            decoder.decode(params.content());
                            assertFalse(params.content().isReadable());
                        }
                    } finally {
                        params.release();
                    }
                }
            }
        } finally {
            root.release();
            ch.finishAndReleaseAll();
        }
        assertEquals(0, root.refCnt());
        assertTrue(ended, "no end of stream");
        return decoder.params();
    }

    /** {@code content} cut into PARAMS records at the given offsets, then the empty PARAMS record. */
    private static byte[] splitInto(byte[] content, int... cuts) {
        List<byte[]> parts = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            parts.add(record(PARAMS, 1, Arrays.copyOfRange(content, from, cut)));
            from = cut;
        }
        parts.add(record(PARAMS, 1, Arrays.copyOfRange(content, from, content.length)));
        // An empty piece would end the stream early; drop it.
        List<byte[]> wire = new ArrayList<>();
        for (byte[] part : parts) {
            if (part.length > 8) {
                wire.add(part);
            }
        }
        wire.add(record(PARAMS, 1, new byte[0]));
        return concat(wire.toArray(byte[][]::new));
    }

    private static int countRecords(byte[] wire) {
        int count = 0;
        for (int at = 0; at < wire.length; count++) {
            at += 8 + ((wire[at + 4] & 0xFF) << 8 | wire[at + 5] & 0xFF) + (wire[at + 6] & 0xFF);
        }
        return count;
    }

    private static String writeLength(int length) {
        ByteBuf buf = Unpooled.buffer(4);
        FcgiNameValuePairs.writeLength(buf, length);
        return hex(ByteBufUtil.getBytes(buf));
    }

    /** The bytes this thread allocated while running {@code action}. */
    private static long allocatedBytes(Runnable action) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        action.run();
        return threads.getCurrentThreadAllocatedBytes() - before;
    }

    @Test
    @DisplayName("a well-known name arriving whole is the shared constant; split or unknown names decode as usual")
    void wellKnownNamesAreSharedConstants() {
        FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), LIMIT, MAX_PAIRS);
        ByteBuf whole = buffer(TWO_SHORT_PAIRS);
        decoder.decode(whole);
        whole.release();
        byte[] other = concat(bytes(0x0B, 0x01), ascii("SERVER_PORX"), ascii("1"),   // one byte off a known name
                bytes(0x0B, 0x01), ascii("SERVER_PORT"), ascii("2"));
        ByteBuf head = buffer(Arrays.copyOf(other, 20));                          // the second name is split
        ByteBuf tail = buffer(Arrays.copyOfRange(other, 20, other.length));
        decoder.decode(head);
        decoder.decode(tail);
        head.release();
        tail.release();
        decoder.finish();
        FcgiParameters params = decoder.params();
        assertEquals(List.of("SERVER_PORT", "SERVER_ADDR", "SERVER_PORX", "SERVER_PORT"),
                List.of(params.name(0), params.name(1), params.name(2), params.name(3)));
        assertSame("SERVER_PORT", params.name(0), "the interned constant, not a new string");
        assertSame("SERVER_ADDR", params.name(1));
        assertEquals("80", params.value(0));
        assertEquals("199.170.183.42", params.value(1));
        assertEquals("2", params.get("SERVER_PORT"));
    }
}
