package dev.fcgi.protocol;

import dev.fcgi.protocol.FcgiTestWire.Chunk;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelPipelineException;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.fcgi.protocol.FcgiGoldenVectorTest.BEGIN_RESPONDER_KEEP_CONN;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.END_REQUEST_COMPLETE;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.PARAMS_END;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.STDIN_END;
import static dev.fcgi.protocol.FcgiTestWire.WHOLE;
import static dev.fcgi.protocol.FcgiTestWire.ascii;
import static dev.fcgi.protocol.FcgiTestWire.buffer;
import static dev.fcgi.protocol.FcgiTestWire.bytes;
import static dev.fcgi.protocol.FcgiTestWire.concat;
import static dev.fcgi.protocol.FcgiTestWire.decode;
import static dev.fcgi.protocol.FcgiTestWire.feed;
import static dev.fcgi.protocol.FcgiTestWire.header;
import static dev.fcgi.protocol.FcgiTestWire.pattern;
import static dev.fcgi.protocol.FcgiTestWire.readAll;
import static dev.fcgi.protocol.FcgiTestWire.record;
import static dev.fcgi.protocol.FcgiTestWire.zeros;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FcgiRecordDecoder}: header parsing, stream content as it arrives, and every malformation it must refuse.
 * Golden vectors are in {@link FcgiGoldenVectorTest}, random input in {@link FcgiDecoderFuzzTest}.
 */
class FcgiRecordDecoderTest {

    private static final int BEGIN_REQUEST = 1;
    private static final int ABORT_REQUEST = 2;
    private static final int END_REQUEST = 3;
    private static final int PARAMS = 4;
    private static final int STDIN = 5;
    private static final int STDOUT = 6;
    private static final int GET_VALUES = 9;
    private static final int UNKNOWN_TYPE = 11;

    @Test
    @DisplayName("spec 1: header fields are big-endian; requestId 0xABCD, contentLength 0x0102")
    void headerFieldsAreBigEndian() {
        byte[] content = pattern(0x0102);
        byte[] wire = concat(
                bytes(0x01,                 // version: FCGI_VERSION_1
                      0x05,                 // type: FCGI_STDIN
                      0xAB, 0xCD,           // requestId: 0xABCD
                      0x01, 0x02,           // contentLength: 258
                      0x06,                 // paddingLength: 6
                      0x00),                // reserved
                content,
                zeros(6));
        assertEquals(List.of(Chunk.of(FcgiRecordType.STDIN, 0xABCD, content)), decode(wire, WHOLE));
    }

    @ParameterizedTest(name = "in slices of {0}")
    @ValueSource(ints = {1, 7, WHOLE})
    @DisplayName("spec 2: padding of any length and value is skipped; the reserved byte is ignored")
    void paddingAndReservedAreIgnored(int chunk) {
        byte[] content = ascii("abc");
        byte[] junk = new byte[255];
        Arrays.fill(junk, (byte) 0xAA);
        byte[] wire = concat(
                bytes(0x01,                 // version: FCGI_VERSION_1
                      0x05,                 // type: FCGI_STDIN
                      0x00, 0x01,           // requestId: 1
                      0x00, 0x03,           // contentLength: 3
                      0xFF,                 // paddingLength: 255
                      0x5A),                // reserved: not zero, still ignored
                content,
                junk,                       // paddingData: not zeros
                bytes(0x01,                 // version: FCGI_VERSION_1
                      0x05,                 // type: FCGI_STDIN
                      0x00, 0x01,           // requestId: 1
                      0x00, 0x00,           // contentLength: 0
                      0x07,                 // paddingLength: 7 (padding on an empty record)
                      0xFF),                // reserved
                zeros(7),
                BEGIN_RESPONDER_KEEP_CONN);
        assertEquals(List.of(Chunk.of(FcgiRecordType.STDIN, 1, content), Chunk.end(FcgiRecordType.STDIN, 1),
                new FcgiBeginRequest(1, FcgiRole.RESPONDER, true)), decode(wire, chunk));
    }

    @Test
    @DisplayName("spec 2: content of 65535 bytes with 255 bytes of padding")
    void largestContentAndPadding() {
        byte[] content = pattern(65535);
        byte[] wire = concat(header(STDOUT, 1, 65535, 255), content, zeros(255), END_REQUEST_COMPLETE);
        assertEquals(List.of(Chunk.of(FcgiRecordType.STDOUT, 1, content),
                new FcgiEndRequest(1, 0, FcgiProtocolStatus.REQUEST_COMPLETE)), decode(wire, 4096));
    }

    @Test
    @DisplayName("spec 2/9: a peer that sends no padding (as Jetty does) is read the same")
    void unpaddedRecords() {
        byte[] pair = concat(bytes(0x0B, 0x02), ascii("SERVER_PORT"), ascii("80"));
        byte[] wire = concat(header(PARAMS, 1, pair.length, 0), pair, PARAMS_END);
        assertEquals(List.of(Chunk.of(FcgiRecordType.PARAMS, 1, pair), Chunk.end(FcgiRecordType.PARAMS, 1)),
                decode(wire, 3));
    }

    @Test
    @DisplayName("spec 5: each type code 1 to 11 decodes to its record type")
    void typeCodes() {
        assertEquals(11, FcgiRecordType.values().length);
        for (FcgiRecordType type : FcgiRecordType.values()) {
            assertSame(type, FcgiRecordType.of(type.code()));
        }
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
                Arrays.stream(FcgiRecordType.values()).map(FcgiRecordType::code).toList());
        assertNull(FcgiRecordType.of(0));
        assertNull(FcgiRecordType.of(12));

        byte[] wire = concat(
                BEGIN_RESPONDER_KEEP_CONN,                                                  // 1
                record(ABORT_REQUEST, 1, new byte[0]),                                      // 2
                END_REQUEST_COMPLETE,                                                       // 3
                record(PARAMS, 1, bytes(0x00, 0x00)),                                       // 4
                record(STDIN, 1, ascii("i")),                                               // 5
                record(STDOUT, 1, ascii("o")),                                              // 6
                record(7, 1, ascii("e")),                                                   // 7: STDERR
                record(8, 1, ascii("d")),                                                   // 8: DATA
                record(GET_VALUES, 0, bytes(0x01, 0x00, 'X')),                              // 9
                record(10, 0, bytes(0x01, 0x01, 'X', '1')),                                 // 10: GET_VALUES_RESULT
                record(UNKNOWN_TYPE, 0, bytes(0x63, 0, 0, 0, 0, 0, 0, 0)));                 // 11
        assertEquals(List.of(
                new FcgiBeginRequest(1, FcgiRole.RESPONDER, true),
                new FcgiAbortRequest(1),
                new FcgiEndRequest(1, 0, FcgiProtocolStatus.REQUEST_COMPLETE),
                Chunk.of(FcgiRecordType.PARAMS, 1, bytes(0x00, 0x00)),
                Chunk.of(FcgiRecordType.STDIN, 1, ascii("i")),
                Chunk.of(FcgiRecordType.STDOUT, 1, ascii("o")),
                Chunk.of(FcgiRecordType.STDERR, 1, ascii("e")),
                Chunk.of(FcgiRecordType.DATA, 1, ascii("d")),
                new FcgiGetValues(List.of("X")),
                new FcgiGetValuesResult(Map.of("X", "1")),
                new FcgiUnknownType(0, 0x63)), decode(wire, WHOLE));
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    @DisplayName("spec 6: an application record with request id 0 is a protocol error; later input is discarded")
    void applicationRecordWithNullRequestId(int type) {
        int contentLength = type == BEGIN_REQUEST || type == END_REQUEST ? 8 : type == ABORT_REQUEST ? 0 : 2;
        byte[] bad = concat(header(type, 0, contentLength, 0), zeros(contentLength));
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        FcgiProtocolException e = assertThrows(FcgiProtocolException.class, () -> feed(ch, bad, WHOLE));
        assertTrue(e.getMessage().contains("request id 0"), e.getMessage());
        assertDiscardsFromNowOn(ch);
    }

    @Test
    @DisplayName("spec 7: records a server never receives (END_REQUEST, STDOUT, STDERR, GET_VALUES_RESULT, "
            + "UNKNOWN_TYPE) decode without error; dropping them is the server's choice")
    void applicationToServerTypesDecode() {
        byte[] wire = concat(END_REQUEST_COMPLETE, record(STDOUT, 3, ascii("x")), record(7, 3, new byte[0]),
                record(10, 0, new byte[0]), record(UNKNOWN_TYPE, 0, bytes(0x14, 0, 0, 0, 0, 0, 0, 0)),
                BEGIN_RESPONDER_KEEP_CONN);
        assertEquals(List.of(new FcgiEndRequest(1, 0, FcgiProtocolStatus.REQUEST_COMPLETE),
                Chunk.of(FcgiRecordType.STDOUT, 3, ascii("x")), Chunk.end(FcgiRecordType.STDERR, 3),
                new FcgiGetValuesResult(Map.of()), new FcgiUnknownType(0, 0x14),
                new FcgiBeginRequest(1, FcgiRole.RESPONDER, true)), decode(wire, 5));
    }

    @Test
    @DisplayName("spec 25: GET_VALUES with a request id other than 0 is decoded with that id, for the server to ignore")
    void getValuesWithRequestId() {
        byte[] wire = record(GET_VALUES, 7, concat(bytes(0x0F, 0x00), ascii(FcgiConstants.MPXS_CONNS)));
        assertEquals(List.of(new FcgiGetValues(7, List.of(FcgiConstants.MPXS_CONNS))), decode(wire, WHOLE));
    }

    @ParameterizedTest(name = "version {0}")
    @ValueSource(ints = {0, 2, 4, 0xFF})
    @DisplayName("spec 4: a version other than 1 is a protocol error, and all later input is discarded")
    void wrongVersion(int version) {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        byte[] bad = bytes(version, BEGIN_REQUEST, 0, 1, 0, 8, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0);
        // The record before the bad one, in the same buffer, still comes out.
        FcgiProtocolException e = assertThrows(FcgiProtocolException.class,
                () -> feed(ch, concat(BEGIN_RESPONDER_KEEP_CONN, bad, STDIN_END), WHOLE));
        assertEquals("version: " + version + " (expected: 1)", e.getMessage());
        assertEquals(List.of(new FcgiBeginRequest(1, FcgiRole.RESPONDER, true)), readAll(ch));
        assertDiscardsFromNowOn(ch);
    }

    @Test
    @DisplayName("spec 4: a bad version arriving byte by byte is refused once the header is complete")
    void wrongVersionByteByByte() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        byte[] bad = bytes(0x04, STDIN, 0, 1, 0, 0, 0, 0);
        for (int i = 0; i < 7; i++) {
            assertFalse(ch.writeInbound(buffer(new byte[] {bad[i]})));
        }
        assertThrows(FcgiProtocolException.class, () -> ch.writeInbound(buffer(new byte[] {bad[7]})));
        assertDiscardsFromNowOn(ch);
    }

    @ParameterizedTest(name = "content length {0}")
    @ValueSource(ints = {0, 7, 9, 16})
    @DisplayName("spec 26: BEGIN_REQUEST content other than 8 bytes is a protocol error")
    void beginRequestLength(int contentLength) {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        byte[] bad = concat(header(BEGIN_REQUEST, 1, contentLength, 0), bytes(0, 1), zeros(contentLength));
        FcgiProtocolException e = assertThrows(FcgiProtocolException.class, () -> feed(ch, bad, WHOLE));
        assertEquals("BEGIN_REQUEST content length: " + contentLength + " (expected: 8)", e.getMessage());
        assertDiscardsFromNowOn(ch);
    }

    @ParameterizedTest(name = "content length {0}")
    @ValueSource(ints = {0, 7, 9})
    @DisplayName("spec 34: END_REQUEST content other than 8 bytes is a protocol error")
    void endRequestLength(int contentLength) {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        byte[] bad = concat(header(END_REQUEST, 1, contentLength, 0), zeros(contentLength));
        assertThrows(FcgiProtocolException.class, () -> feed(ch, bad, WHOLE));
        assertDiscardsFromNowOn(ch);
    }

    @Test
    @DisplayName("spec 24: UNKNOWN_TYPE content other than 8 bytes is a protocol error")
    void unknownTypeLength() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        assertThrows(FcgiProtocolException.class, () -> feed(ch, record(UNKNOWN_TYPE, 0, bytes(0x14)), WHOLE));
        assertDiscardsFromNowOn(ch);
    }

    @Test
    @DisplayName("ABORT_REQUEST with content is a protocol error")
    void abortRequestWithContent() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        FcgiProtocolException e = assertThrows(FcgiProtocolException.class,
                () -> feed(ch, record(ABORT_REQUEST, 1, bytes(0, 0, 0, 0, 0, 0, 0, 0)), WHOLE));
        assertEquals("ABORT_REQUEST content length: 8 (expected: 0)", e.getMessage());
        assertDiscardsFromNowOn(ch);
    }

    @ParameterizedTest(name = "status {0}")
    @ValueSource(ints = {4, 0x80, 0xFF})
    @DisplayName("spec 34: END_REQUEST with a protocol status other than 0 to 3 is a protocol error")
    void endRequestUnknownStatus(int status) {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        byte[] bad = record(END_REQUEST, 1, bytes(0, 0, 0, 0, status, 0, 0, 0));
        FcgiProtocolException e = assertThrows(FcgiProtocolException.class, () -> feed(ch, bad, 3));
        assertTrue(e.getMessage().contains("protocol status: " + status), e.getMessage());
        assertDiscardsFromNowOn(ch);
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {0, 12, 0x14, 0xFF})
    @DisplayName("spec 24: an unknown record type becomes FcgiUnrecognizedRecord, its content and padding skipped")
    void unknownRecordType(int type) {
        byte[] wire = concat(
                bytes(0x01,                 // version: FCGI_VERSION_1
                      type,                 // type: not defined by FastCGI 1.0
                      0x00, 0x00,           // requestId: 0 (management)
                      0x00, 0x05,           // contentLength: 5
                      0x03,                 // paddingLength: 3
                      0x00),                // reserved
                bytes(0x01, 0x05, 0x00, 0x01, 0x00),    // content that looks like a header: skipped
                bytes(0x01, 0x01, 0x00),                // padding: skipped
                record(type, 9, pattern(300)),          // and again, with a request id
                BEGIN_RESPONDER_KEEP_CONN);
        List<Object> expected = List.of(new FcgiUnrecognizedRecord(0, type), new FcgiUnrecognizedRecord(9, type),
                new FcgiBeginRequest(1, FcgiRole.RESPONDER, true));
        assertEquals(expected, decode(wire, WHOLE));
        assertEquals(expected, decode(wire, 1));
    }

    @Test
    @DisplayName("spec 20: GET_VALUES whose pair runs past the end of the record is a protocol error")
    void getValuesPairPastRecord() {
        byte[][] contents = {
                concat(bytes(0x0F, 0x00), ascii("FCGI_MPXS_CON")),     // name 2 bytes short
                concat(bytes(0x01, 0x05), ascii("X"), ascii("1")),    // value 4 bytes short
                bytes(0x80, 0x00, 0x00),                              // record ends inside a 4-byte length
                bytes(0x01),                                          // record ends before the value length
                concat(bytes(0xFF, 0xFF, 0xFF, 0xFF, 0x00), ascii("X")), // name length 2^31 - 1
        };
        for (byte[] content : contents) {
            EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
            FcgiProtocolException e = assertThrows(FcgiProtocolException.class,
                    () -> feed(ch, record(GET_VALUES, 0, content), WHOLE));
            assertTrue(e.getMessage().startsWith("name-value pair: "), e.getMessage());
            assertDiscardsFromNowOn(ch);
        }
    }

    @Test
    @DisplayName("stream content is handed on as it arrives, without waiting for the rest of the record")
    void streamContentAsItArrives() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        byte[] content = pattern(100);
        byte[] wire = concat(header(STDIN, 1, 100, 4), content, zeros(4));
        ch.writeInbound(buffer(Arrays.copyOfRange(wire, 0, 10)));   // header + 2 bytes
        ch.writeInbound(buffer(Arrays.copyOfRange(wire, 10, 58)));  // 48 bytes
        ch.writeInbound(buffer(Arrays.copyOfRange(wire, 58, 112))); // the last 50 and the padding
        int at = 0;
        for (int expected : new int[] {2, 48, 50}) {
            FcgiStdin piece = ch.readInbound();
            assertFalse(piece.isEndOfStream());
            assertEquals(1, piece.requestId());
            assertEquals(FcgiTestWire.hex(Arrays.copyOfRange(content, at, at + expected)),
                    FcgiTestWire.hex(ByteBufUtil.getBytes(piece.content())));
            piece.release();
            at += expected;
        }
        assertNull(ch.readInbound(), "no empty record unless an empty record arrives");
        assertFalse(ch.finish());
    }

    @Test
    @DisplayName("spec 73: PARAMS content ends at its contentLength even when its pairs claim more")
    void paramsNeverReadPastItsRecord() {
        byte[] partialPair = concat(bytes(0x04, 0x7F), ascii("NAME"), ascii("val"));  // value claims 127 bytes
        byte[] wire = concat(record(PARAMS, 1, partialPair), STDIN_END);
        assertEquals(List.of(Chunk.of(FcgiRecordType.PARAMS, 1, partialPair), Chunk.end(FcgiRecordType.STDIN, 1)),
                decode(wire, WHOLE));
    }

    @Test
    @DisplayName("a header cut short by the end of input fails in decodeLast")
    void closedInsideHeader() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        feed(ch, concat(BEGIN_RESPONDER_KEEP_CONN, bytes(0x01, 0x04, 0x00, 0x01, 0x00)), WHOLE);
        // The message is about the cut header, not the BEGIN_REQUEST before it.
        assertEquals("connection closed inside a record header (5 of 8 bytes)", assertClosedInsideRecord(ch));
        assertEquals(List.of(new FcgiBeginRequest(1, FcgiRole.RESPONDER, true)), readAll(ch));
    }

    @Test
    @DisplayName("stream content shorter than its contentLength fails in decodeLast, after what did arrive")
    void closedInsideStreamContent() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        feed(ch, concat(header(STDIN, 1, 1000, 0), pattern(10)), WHOLE);
        assertEquals("connection closed inside a record (STDIN, request 1)", assertClosedInsideRecord(ch));
        assertEquals(List.of(Chunk.of(FcgiRecordType.STDIN, 1, pattern(10))), readAll(ch));
    }

    @Test
    @DisplayName("fixed content shorter than its contentLength fails in decodeLast")
    void closedInsideFixedContent() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        feed(ch, Arrays.copyOf(BEGIN_RESPONDER_KEEP_CONN, 12), WHOLE);
        assertClosedInsideRecord(ch);
        assertNull(ch.readInbound());
    }

    @Test
    @DisplayName("padding shorter than its paddingLength fails in decodeLast")
    void closedInsidePadding() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        feed(ch, concat(header(STDIN, 1, 1, 7), ascii("x"), zeros(3)), 2);
        assertClosedInsideRecord(ch);
        assertEquals(List.of(Chunk.of(FcgiRecordType.STDIN, 1, ascii("x"))), readAll(ch));
    }

    @Test
    @DisplayName("an unknown record's content cut short fails in decodeLast")
    void closedInsideUnknownRecord() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        feed(ch, concat(header(0x14, 0, 8, 0), zeros(3)), WHOLE);
        assertClosedInsideRecord(ch);
        assertEquals(List.of(new FcgiUnrecognizedRecord(0, 0x14)), readAll(ch));
    }

    @Test
    @DisplayName("a close between records is clean")
    void closedBetweenRecords() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        feed(ch, concat(BEGIN_RESPONDER_KEEP_CONN, PARAMS_END), 3);
        assertEquals(2, ch.inboundMessages().size());
        assertTrue(ch.finishAndReleaseAll());
    }

    @Test
    @DisplayName("a close after a protocol error raises nothing more")
    void closedAfterProtocolError() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        assertThrows(FcgiProtocolException.class, () -> feed(ch, concat(header(STDIN, 0, 0, 0), zeros(5)), WHOLE));
        assertFalse(ch.finish());
    }

    @Test
    @DisplayName("spec 72: the decoder keeps per-channel state and is not @Sharable")
    void decoderIsNotSharable() {
        FcgiRecordDecoder decoder = new FcgiRecordDecoder();
        assertFalse(decoder.isSharable());
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        EmbeddedChannel other = new EmbeddedChannel();
        assertThrows(ChannelPipelineException.class, () -> other.pipeline().addLast(decoder));
        assertFalse(ch.finish());
        assertFalse(other.finish());
    }

    @Test
    @DisplayName("spec 74: stream content is a slice of the input buffer, not a copy")
    void streamContentSharesTheInput() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        ByteBuf input = buffer(concat(record(STDIN, 1, ascii("hello")), STDIN_END));
        ch.writeInbound(input.retain());
        FcgiStdin body = ch.readInbound();
        FcgiStdin end = ch.readInbound();
        assertEquals("hello", body.content().toString(StandardCharsets.US_ASCII));
        input.setByte(8, 'J');  // the first content byte, after the 8-byte header
        assertEquals("Jello", body.content().toString(StandardCharsets.US_ASCII));
        assertTrue(end.isEndOfStream());
        body.release();
        end.release();
        assertTrue(input.release(), "the decoder kept a reference to the input");
        assertFalse(ch.finish());
    }

    @Test
    @DisplayName("spec 74: records left unread when the channel closes are released with it")
    void unreadRecordsAreReleasedOnClose() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        ByteBuf input = buffer(concat(record(STDIN, 1, pattern(100)), record(STDOUT, 2, pattern(9)), STDIN_END));
        ch.writeInbound(input.retain());
        assertTrue(ch.finishAndReleaseAll());
        assertTrue(input.release());
    }

    @Test
    @DisplayName("spec 74: records emitted before a protocol error are not leaked, nor is the input")
    void nothingLeaksOnProtocolError() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        ByteBuf input = buffer(concat(record(STDIN, 1, pattern(100)), header(STDIN, 0, 0, 0), pattern(50)));
        assertThrows(FcgiProtocolException.class, () -> ch.writeInbound(input.retain()));
        assertEquals(List.of(Chunk.of(FcgiRecordType.STDIN, 1, pattern(100))), readAll(ch));
        assertTrue(input.release());
        assertFalse(ch.finish());
    }

    /** Checks that the decoder, after a protocol error, swallows good input without a record or an error. */
    private static void assertDiscardsFromNowOn(EmbeddedChannel ch) {
        for (Object msg; (msg = ch.readInbound()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
        ByteBuf good = buffer(concat(BEGIN_RESPONDER_KEEP_CONN, PARAMS_END, STDIN_END));
        assertFalse(ch.writeInbound(good));
        assertEquals(0, good.refCnt());
        assertFalse(ch.finish());
    }

    /** Closes the channel, checks that decodeLast reported a record cut short, and returns the message. */
    private static String assertClosedInsideRecord(EmbeddedChannel ch) {
        FcgiProtocolException e = assertThrows(FcgiProtocolException.class, ch::finish);
        assertTrue(e.getMessage().startsWith("connection closed inside a record"), e.getMessage());
        assertInstanceOf(DecoderException.class, e);
        return e.getMessage();
    }
}
