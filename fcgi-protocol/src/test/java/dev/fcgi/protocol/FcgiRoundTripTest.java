package dev.fcgi.protocol;

import dev.fcgi.protocol.FcgiTestWire.Chunk;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.fcgi.protocol.FcgiTestWire.buffer;
import static dev.fcgi.protocol.FcgiTestWire.canonical;
import static dev.fcgi.protocol.FcgiTestWire.pattern;
import static dev.fcgi.protocol.FcgiTestWire.readAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Encoder to decoder in one {@link FcgiRecordCodec} channel ({@code writeInbound(readOutbound())}): what goes out
 * comes back equal, whatever the size.
 */
class FcgiRoundTripTest {

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 65_535, 65_536, 200_000})
    @DisplayName("spec 8/33: a STDOUT body, its empty STDOUT and END_REQUEST come back as sent")
    void stdoutBodies(int length) {
        byte[] body = pattern(length);
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordCodec());
        List<FcgiRecord> response = new ArrayList<>();
        if (length > 0) {
            response.add(new FcgiStdout(1, buffer(body)));
        }
        response.add(FcgiStdout.endOfStream(1));
        response.add(new FcgiEndRequest(1, 0, FcgiProtocolStatus.REQUEST_COMPLETE));

        List<Object> expected = new ArrayList<>();
        if (length > 0) {
            expected.add(Chunk.of(FcgiRecordType.STDOUT, 1, body));
        }
        expected.add(Chunk.end(FcgiRecordType.STDOUT, 1));
        expected.add(new FcgiEndRequest(1, 0, FcgiProtocolStatus.REQUEST_COMPLETE));

        assertEquals(expected, roundTrip(ch, response));
        assertFalse(ch.finish());
    }

    @ParameterizedTest(name = "name of {0} bytes")
    @ValueSource(ints = {127, 128})
    @DisplayName("spec 11: 127- and 128-byte names (one- and four-byte lengths) in PARAMS come back as sent")
    void paramNames(int length) {
        FcgiParameters params = new FcgiParameters()
                .add("N".repeat(length), "v")
                .add("V", pattern(length))
                .add("SERVER_PORT", "80");
        assertEquals(params, roundTripParams(params));
    }

    @Test
    @DisplayName("spec 14/66: PARAMS of 100000 bytes: the encoder splits a pair across two records, which decode")
    void pairSpanningTwoRecords() {
        FcgiParameters params = new FcgiParameters()
                .add("SCRIPT_FILENAME", "/var/www/index.php")
                .add("HTTP_COOKIE", pattern(100_000))
                .add("REQUEST_METHOD", "GET");
        assertTrue(params.encodedLength() > 65_535);
        assertEquals(params, roundTripParams(params));
    }

    @Test
    @DisplayName("spec 5: every record type comes back equal, with values at the edges of their ranges")
    void everyRecordType() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordCodec());
        List<FcgiRecord> records = List.of(
                new FcgiBeginRequest(1, FcgiRole.RESPONDER, true),
                new FcgiBeginRequest(2, FcgiRole.AUTHORIZER, false),
                new FcgiBeginRequest(3, FcgiRole.FILTER, true),
                new FcgiBeginRequest(0xFFFF, 0xFFFF, 0xFF),
                new FcgiAbortRequest(0xFFFF),
                new FcgiEndRequest(1, -1, FcgiProtocolStatus.REQUEST_COMPLETE),
                new FcgiEndRequest(2, Integer.MIN_VALUE, FcgiProtocolStatus.CANT_MPX_CONN),
                new FcgiEndRequest(3, 0, FcgiProtocolStatus.OVERLOADED),
                new FcgiEndRequest(4, 1, FcgiProtocolStatus.UNKNOWN_ROLE),
                new FcgiGetValues(List.of()),
                new FcgiGetValues(List.of(FcgiConstants.MAX_CONNS, "X".repeat(200))),
                new FcgiGetValuesResult(Map.of()),
                new FcgiGetValuesResult(Map.of(FcgiConstants.MAX_REQS, "50")),
                new FcgiUnknownType(0, 0),
                new FcgiUnknownType(0, 0xFF),
                new FcgiUnrecognizedRecord(0, 0x14),
                new FcgiUnrecognizedRecord(5, 0xFF));
        assertEquals(records, roundTrip(ch, records));
        assertEquals(0xFFFFFFFFL, new FcgiEndRequest(1, -1, FcgiProtocolStatus.REQUEST_COMPLETE).appStatusUnsigned());
        assertFalse(ch.finish());
    }

    @Test
    @DisplayName("spec 45: interleaved streams of two requests keep their order and ids")
    void interleavedRequests() {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordCodec());
        List<FcgiRecord> records = List.of(
                new FcgiStdout(1, Unpooled.wrappedBuffer(pattern(10))),
                new FcgiStdout(2, Unpooled.wrappedBuffer(pattern(70_000))),
                new FcgiStderr(1, Unpooled.wrappedBuffer(pattern(3))),
                FcgiStdout.endOfStream(2),
                new FcgiEndRequest(2, 0, FcgiProtocolStatus.REQUEST_COMPLETE),
                FcgiStdout.endOfStream(1),
                FcgiStderr.endOfStream(1),
                new FcgiEndRequest(1, 0, FcgiProtocolStatus.REQUEST_COMPLETE));
        List<Object> expected = List.of(
                Chunk.of(FcgiRecordType.STDOUT, 1, pattern(10)),
                Chunk.of(FcgiRecordType.STDOUT, 2, pattern(70_000)),
                Chunk.of(FcgiRecordType.STDERR, 1, pattern(3)),
                Chunk.end(FcgiRecordType.STDOUT, 2),
                new FcgiEndRequest(2, 0, FcgiProtocolStatus.REQUEST_COMPLETE),
                Chunk.end(FcgiRecordType.STDOUT, 1),
                Chunk.end(FcgiRecordType.STDERR, 1),
                new FcgiEndRequest(1, 0, FcgiProtocolStatus.REQUEST_COMPLETE));
        assertEquals(expected, roundTrip(ch, records));
        assertFalse(ch.finish());
    }

    /** Writes {@code records} out, feeds every buffer written back in, and reads what the decoder made of it. */
    private static List<Object> roundTrip(EmbeddedChannel ch, List<? extends FcgiRecord> records) {
        assertTrue(ch.writeOutbound(records.toArray()));
        for (ByteBuf buf; (buf = ch.readOutbound()) != null; ) {
            ch.writeInbound(buf);
        }
        return readAll(ch);
    }

    /** Encodes {@code params} as a PARAMS stream of request 1 and decodes it back into parameters. */
    private static FcgiParameters roundTripParams(FcgiParameters params) {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordCodec());
        ByteBuf content = Unpooled.buffer(params.encodedLength());
        FcgiNameValuePairs.encode(content, params);
        assertTrue(ch.writeOutbound(new FcgiParams(1, content), FcgiParams.endOfStream(1)));
        for (ByteBuf buf; (buf = ch.readOutbound()) != null; ) {
            ch.writeInbound(buf);
        }
        FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), 1 << 20, 100);
        List<FcgiParams> pieces = new ArrayList<>();
        for (FcgiParams piece; (piece = ch.readInbound()) != null; ) {
            pieces.add(piece);
        }
        for (FcgiParams piece : pieces.subList(0, pieces.size() - 1)) {
            decoder.decode(piece.content());
        }
        assertTrue(pieces.get(pieces.size() - 1).isEndOfStream());
        decoder.finish();
        canonical(pieces); // releases them
        assertFalse(ch.finish());
        return decoder.params();
    }
}
