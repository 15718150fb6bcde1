package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.fcgi.protocol.FcgiTestWire.ascii;
import static dev.fcgi.protocol.FcgiTestWire.buffer;
import static dev.fcgi.protocol.FcgiTestWire.bytes;
import static dev.fcgi.protocol.FcgiTestWire.concat;
import static dev.fcgi.protocol.FcgiTestWire.encode;
import static dev.fcgi.protocol.FcgiTestWire.hex;
import static dev.fcgi.protocol.FcgiTestWire.pattern;
import static dev.fcgi.protocol.FcgiTestWire.zeros;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FcgiRecordEncoder}: record framing on the way out (statements 8 and 9), splitting of long content, and
 * zero-copy output. Byte-exact golden vectors are in {@link FcgiGoldenVectorTest}.
 */
class FcgiRecordEncoderTest {

    /** A record as parsed back from the encoder's output. */
    private record Framed(int version, int type, int requestId, int contentLength, int paddingLength,
                          int reserved, byte[] content, byte[] padding) {
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {1, 7, 8, 9, 65_534, 65_535, 65_536, 131_070, 131_071, 200_000})
    @DisplayName("spec 8/9: stream content is split into records of at most 65535 bytes, each padded to 8 with zeros")
    void streamContentFraming(int length) {
        byte[] body = pattern(length);
        List<Framed> records = parse(encode(new FcgiStdout(7, Unpooled.wrappedBuffer(body))));
        assertEquals((length + 65_534) / 65_535, records.size());
        byte[] joined = new byte[0];
        for (Framed record : records) {
            assertEquals(FcgiRecordType.STDOUT.code(), record.type());
            assertEquals(7, record.requestId());
            assertTrue(record.contentLength() > 0);
            joined = concat(joined, record.content());
        }
        assertArrayEquals(body, joined);
        for (int i = 0; i < records.size() - 1; i++) {
            assertEquals(65_535, records.get(i).contentLength(), "only the last record is short");
        }
    }

    @Test
    @DisplayName("spec 8/9: every kind of record has version 1, reserved 0, content <= 65535 and zero padding to 8")
    void everyRecordIsWellFramed() {
        byte[] wire = encode(
                new FcgiBeginRequest(1, FcgiRole.AUTHORIZER, false),
                new FcgiAbortRequest(2),
                new FcgiEndRequest(3, 42, FcgiProtocolStatus.OVERLOADED),
                new FcgiParams(4, Unpooled.wrappedBuffer(pattern(13))),
                FcgiParams.endOfStream(4),
                new FcgiStdin(5, Unpooled.wrappedBuffer(pattern(70_000))),
                new FcgiStdout(6, Unpooled.wrappedBuffer(pattern(1))),
                new FcgiStderr(7, Unpooled.wrappedBuffer(pattern(22))),
                new FcgiData(8, Unpooled.wrappedBuffer(pattern(8))),
                new FcgiGetValues(List.of(FcgiConstants.MAX_CONNS, FcgiConstants.MAX_REQS)),
                new FcgiGetValuesResult(Map.of(FcgiConstants.MAX_CONNS, "100")),
                new FcgiUnknownType(0, 0x77),
                new FcgiUnrecognizedRecord(9, 0x42));
        List<Framed> records = parse(wire);
        assertEquals(14, records.size());
        for (Framed record : records) {
            assertEquals(1, record.version());
            assertEquals(0, record.reserved());
            assertTrue(record.contentLength() <= 65_535);
            assertEquals(0, (8 + record.contentLength() + record.paddingLength()) % 8, record.toString());
            assertTrue(record.paddingLength() < 8);
            assertArrayEquals(zeros(record.paddingLength()), record.padding());
        }
    }

    @Test
    @DisplayName("spec 9: 65536 bytes become a 65535-byte record (padding 1) and a 1-byte record (padding 7)")
    void sixtyFourKibibytes() {
        byte[] body = pattern(65_536);
        byte[] expected = concat(
                bytes(0x01,                 // version: FCGI_VERSION_1
                      0x06,                 // type: FCGI_STDOUT
                      0x00, 0x01,           // requestId: 1
                      0xFF, 0xFF,           // contentLength: 65535
                      0x01,                 // paddingLength: 1
                      0x00),                // reserved
                Arrays.copyOf(body, 65_535),
                zeros(1),
                bytes(0x01,                 // version: FCGI_VERSION_1
                      0x06,                 // type: FCGI_STDOUT
                      0x00, 0x01,           // requestId: 1
                      0x00, 0x01,           // contentLength: 1
                      0x07,                 // paddingLength: 7
                      0x00),                // reserved
                Arrays.copyOfRange(body, 65_535, 65_536),
                zeros(7));
        assertEquals(hex(expected), hex(encode(new FcgiStdout(1, Unpooled.wrappedBuffer(body)))));
    }

    @Test
    @DisplayName("spec 8: request id 65535 and an unknown role code are written as given")
    void fieldRanges() {
        byte[] expected = bytes(
                0x01,                       // version: FCGI_VERSION_1
                0x01,                       // type: FCGI_BEGIN_REQUEST
                0xFF, 0xFF,                 // requestId: 65535
                0x00, 0x08,                 // contentLength: 8
                0x00,                       // paddingLength: 0
                0x00,                       // reserved
                0x12, 0x34,                 // role: 0x1234, not one FastCGI defines
                0xFE,                       // flags: all but FCGI_KEEP_CONN
                0x00, 0x00, 0x00, 0x00, 0x00); // reserved[5]
        assertEquals(hex(expected), hex(encode(new FcgiBeginRequest(0xFFFF, 0x1234, 0xFE))));
    }

    @Test
    @DisplayName("spec 23: GET_VALUES_RESULT with several values is one record, with no trailing empty record")
    void getValuesResultIsOneRecord() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put(FcgiConstants.MAX_CONNS, "10");
        values.put(FcgiConstants.MAX_REQS, "50");
        values.put(FcgiConstants.MPXS_CONNS, "1");
        List<Framed> records = parse(encode(new FcgiGetValuesResult(values)));
        assertEquals(1, records.size());
        assertEquals(FcgiRecordType.GET_VALUES_RESULT.code(), records.get(0).type());
        assertEquals(0, records.get(0).requestId());
        assertArrayEquals(concat(
                bytes(0x0E, 0x02), ascii("FCGI_MAX_CONNS"), ascii("10"),
                bytes(0x0D, 0x02), ascii("FCGI_MAX_REQS"), ascii("50"),
                bytes(0x0F, 0x01), ascii("FCGI_MPXS_CONNS"), ascii("1")), records.get(0).content());
    }

    @Test
    @DisplayName("spec 20: an empty GET_VALUES_RESULT answers a query with no names")
    void emptyGetValuesResult() {
        assertEquals(hex(bytes(1, 10, 0, 0, 0, 0, 0, 0)), hex(encode(new FcgiGetValuesResult(Map.of()))));
    }

    @Test
    @DisplayName("management content over 65535 bytes is refused, not truncated")
    void managementContentTooLong() {
        EmbeddedChannel ch = new EmbeddedChannel(FcgiRecordEncoder.INSTANCE);
        FcgiGetValuesResult huge = new FcgiGetValuesResult(Map.of("X", "v".repeat(70_000)));
        EncoderException e = assertThrows(EncoderException.class, () -> ch.writeOutbound(huge));
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertFalse(ch.finish());
    }

    @Test
    @DisplayName("only the readable bytes of the content are written")
    void readableBytesOnly() {
        ByteBuf content = Unpooled.wrappedBuffer(ascii("skip:keep"));
        content.skipBytes(5);
        byte[] expected = concat(bytes(1, 7, 0, 3, 0, 4, 4, 0), ascii("keep"), zeros(4));
        assertEquals(hex(expected), hex(encode(new FcgiStderr(3, content))));
    }

    @Test
    @DisplayName("spec 72: the encoder is @Sharable; one instance serves two channels at once")
    void encoderIsSharable() {
        assertTrue(FcgiRecordEncoder.INSTANCE.isSharable());
        EmbeddedChannel first = new EmbeddedChannel(FcgiRecordEncoder.INSTANCE);
        EmbeddedChannel second = new EmbeddedChannel(FcgiRecordEncoder.INSTANCE);
        assertTrue(first.writeOutbound(new FcgiAbortRequest(1)));
        assertTrue(second.writeOutbound(new FcgiAbortRequest(2)));
        assertEquals(hex(bytes(1, 2, 0, 1, 0, 0, 0, 0)), hex(readOutbound(first)));
        assertEquals(hex(bytes(1, 2, 0, 2, 0, 0, 0, 0)), hex(readOutbound(second)));
        assertFalse(first.finish());
        assertFalse(second.finish());
        FcgiRecordCodec codec = new FcgiRecordCodec();
        assertFalse(codec.isSharable(), "the codec holds a decoder");
    }

    @Test
    @DisplayName("spec 74: stream content goes out as a slice of the record's buffer, not a copy, and is released")
    void streamContentIsNotCopied() {
        EmbeddedChannel ch = new EmbeddedChannel(FcgiRecordEncoder.INSTANCE);
        int length = FcgiRecordEncoder.COPY_CONTENT_THRESHOLD + 3;
        ByteBuf content = buffer(pattern(length));
        assertTrue(ch.writeOutbound(new FcgiStdout(1, content.retain())));
        ByteBuf header = ch.readOutbound();
        ByteBuf body = ch.readOutbound();
        ByteBuf padding = ch.readOutbound();
        assertEquals(hex(bytes(1, 6, 0, 1, length >> 8, length & 0xFF, 5, 0)), hex(ByteBufUtil.getBytes(header)));
        content.setByte(0, 'J');
        assertEquals('J', body.getByte(body.readerIndex()));
        assertEquals(5, padding.readableBytes());
        header.release();
        body.release();
        padding.release();
        assertTrue(content.release(), "the encoder kept a reference to the content");
        assertFalse(ch.finish());
    }

    @Test
    @DisplayName("small stream content is copied behind its header: one buffer per record, the content released")
    void smallContentIsCopiedIntoOneBuffer() {
        EmbeddedChannel ch = new EmbeddedChannel(FcgiRecordEncoder.INSTANCE);
        ByteBuf content = buffer(ascii("hello"));
        assertTrue(ch.writeOutbound(new FcgiStdout(1, content.retain())));
        ByteBuf record = ch.readOutbound();
        assertNull(ch.readOutbound());
        assertEquals(hex(concat(bytes(1, 6, 0, 1, 0, 5, 3, 0), ascii("hello"), new byte[3])),
                hex(ByteBufUtil.getBytes(record)));
        record.release();
        assertTrue(content.release(), "the encoder kept a reference to the content");
        assertFalse(ch.finish());
    }

    @Test
    @DisplayName("spec 74: a 200000-byte body is written as slices of one buffer: four records, no copy")
    void largeContentSlices() {
        EmbeddedChannel ch = new EmbeddedChannel(FcgiRecordEncoder.INSTANCE);
        ByteBuf content = buffer(pattern(200_000));
        assertTrue(ch.writeOutbound(new FcgiStdout(1, content.retain())));
        List<ByteBuf> out = new ArrayList<>();
        for (ByteBuf buf; (buf = ch.readOutbound()) != null; ) {
            out.add(buf);
        }
        assertEquals(4 * 3, out.size(), "header, content and padding per record");
        content.setByte(199_999, 0x55);
        ByteBuf lastContent = out.get(10);
        assertEquals(0x55, lastContent.getUnsignedByte(lastContent.readerIndex() + lastContent.readableBytes() - 1));
        out.forEach(ByteBuf::release);
        assertTrue(content.release());
        assertFalse(ch.finish());
    }

    @Test
    @DisplayName("messages other than records pass through untouched")
    void otherMessagesPassThrough() {
        EmbeddedChannel ch = new EmbeddedChannel(FcgiRecordEncoder.INSTANCE);
        ByteBuf raw = buffer(ascii("raw"));
        assertTrue(ch.writeOutbound(raw));
        ByteBuf read = ch.readOutbound();
        assertSame(raw, read);
        read.release();
        assertFalse(ch.finish());
    }

    private static byte[] readOutbound(EmbeddedChannel ch) {
        byte[] out = new byte[0];
        for (ByteBuf buf; (buf = ch.readOutbound()) != null; ) {
            out = concat(out, ByteBufUtil.getBytes(buf));
            buf.release();
        }
        return out;
    }

    /** Splits encoder output back into records, checking that it is whole records and nothing else. */
    private static List<Framed> parse(byte[] wire) {
        List<Framed> records = new ArrayList<>();
        int at = 0;
        while (at < wire.length) {
            int contentLength = (wire[at + 4] & 0xFF) << 8 | wire[at + 5] & 0xFF;
            int paddingLength = wire[at + 6] & 0xFF;
            int requestId = (wire[at + 2] & 0xFF) << 8 | wire[at + 3] & 0xFF;
            int contentAt = at + 8;
            records.add(new Framed(wire[at] & 0xFF, wire[at + 1] & 0xFF, requestId, contentLength, paddingLength,
                    wire[at + 7] & 0xFF,
                    Arrays.copyOfRange(wire, contentAt, contentAt + contentLength),
                    Arrays.copyOfRange(wire, contentAt + contentLength, contentAt + contentLength + paddingLength)));
            at = contentAt + contentLength + paddingLength;
        }
        assertEquals(wire.length, at, "output ends inside a record");
        return records;
    }
}
