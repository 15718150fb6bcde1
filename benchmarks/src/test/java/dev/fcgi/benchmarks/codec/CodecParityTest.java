package dev.fcgi.benchmarks.codec;

import dev.fcgi.protocol.FcgiEndRequest;
import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.FcgiRecordDecoder;
import dev.fcgi.protocol.FcgiStdout;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.eclipse.jetty.io.ByteBufferPool;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@link RecordCodecBenchmark} and {@link JettyCodecBenchmark} compare like with like: both parsers read the same
 * params, and both generators write the same records, ours padded and Jetty's not.
 */
class CodecParityTest {

    @Test
    @DisplayName("both parsers read the 28 nginx params from the same bytes")
    void sameRequest() {
        RecordCodecBenchmark.Request ours = new RecordCodecBenchmark.Request();
        JettyCodecBenchmark.Request jetty = new JettyCodecBenchmark.Request();
        ours.setUp();                                   // each checks its params against CodecInputs.NGINX_PARAMS
        jetty.setUp();
        ours.tearDown();
        assertEquals(CodecInputs.NGINX_PARAMS.length, jetty.fields.size());
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {13, 4096, 1_048_576})
    @DisplayName("both generators write the same records; only our padding adds bytes")
    @SuppressWarnings("removal")
    void sameResponse(int bodySize) {
        RecordCodecBenchmark.Response ours = new RecordCodecBenchmark.Response();
        ours.bodySize = bodySize;
        ours.setUp();
        RecordCodecBenchmark.writeResponse(ours);
        ByteBuf ourWire = Unpooled.buffer();
        for (Object buf : ours.out) {
            ourWire.writeBytes((ByteBuf) buf);
            ((ByteBuf) buf).release();
        }
        ours.out.clear();
        ours.tearDown();

        JettyCodecBenchmark.Response jetty = new JettyCodecBenchmark.Response();
        jetty.bodySize = bodySize;
        jetty.setUp();
        ByteBufferPool.Accumulator accumulator = JettyCodecBenchmark.generateResponse(jetty);
        ByteBuf jettyWire = Unpooled.buffer();
        for (ByteBuffer buffer : accumulator.getByteBuffers()) {
            jettyWire.writeBytes(buffer.duplicate());
        }
        accumulator.release();
        jetty.tearDown();

        assertEquals(CodecInputs.responseLength(bodySize, true), ourWire.readableBytes());
        assertEquals(CodecInputs.responseLength(bodySize, false), jettyWire.readableBytes());
        List<String> ourRecords = records(ourWire);
        assertEquals(1 + (bodySize + 65_534) / 65_535 + 2, ourRecords.size());
        assertEquals(ourRecords, records(jettyWire));
    }

    /** The records on {@code wire}, each as its type, request id and content in hex; padding is dropped. */
    private static List<String> records(ByteBuf wire) {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        ch.writeInbound(wire);
        List<String> records = new ArrayList<>();
        for (Object msg; (msg = ch.readInbound()) != null; ) {
            switch (msg) {
                case FcgiStdout stdout -> {
                    records.add("STDOUT " + stdout.requestId() + ' ' + ByteBufUtil.hexDump(stdout.content()));
                    stdout.release();
                }
                case FcgiEndRequest end -> {
                    assertEquals(FcgiProtocolStatus.REQUEST_COMPLETE, end.protocolStatus());
                    records.add("END_REQUEST " + end.requestId() + ' ' + end.appStatus());
                }
                default -> throw new AssertionError("unexpected record: " + msg);
            }
        }
        assertFalse(ch.finish());
        return records;
    }
}
