package dev.fcgi.protocol.server;

import dev.fcgi.protocol.FcgiEndRequest;
import dev.fcgi.protocol.FcgiRecord;
import dev.fcgi.protocol.FcgiRecordDecoder;
import dev.fcgi.protocol.FcgiRecordEncoder;
import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.FcgiStderr;
import dev.fcgi.protocol.FcgiStdout;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;

import static dev.fcgi.protocol.testing.RawFcgiConnection.*;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Spec 77: how a response's records reach the socket. The server's pipeline as {@link FcgiServer} builds it
 * ({@link FcgiRecordDecoder}, {@link FcgiRecordEncoder}, {@link FcgiServerHandler}) in an {@link EmbeddedChannel},
 * as in {@link ServerPipelineFuzzTest}, with an outbound handler between the encoder and the server handler that
 * logs every record written and every flush. The handler's job runs on the test thread, as a worker would.
 */
class ServerFlushTest {

    /** Logs the records written and the flushes, in order. */
    private static final class WriteLog extends ChannelOutboundHandlerAdapter {
        final List<String> events = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            events.add(switch (msg) {
                case FcgiStdout stdout -> stdout.content().isReadable()
                        ? "STDOUT " + stdout.content().toString(ISO_8859_1) : "STDOUT end";
                case FcgiStderr stderr -> stderr.content().isReadable() ? "STDERR" : "STDERR end";
                case FcgiEndRequest end -> "END_REQUEST " + end.requestId();
                case FcgiRecord record -> record.toString();
                default -> msg.getClass().getSimpleName();
            });
            ctx.write(msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            events.add("flush");
            ctx.flush();
        }

        long flushes() {
            return events.stream().filter("flush"::equals).count();
        }
    }

    /** Writes ten small pieces, flushing explicitly after the pieces listed in the FLUSH_AFTER param. */
    private static final FcgiHandler TEN_PIECES = (request, response) -> {
        Set<Integer> flushAfter = new TreeSet<>();
        for (String index : request.params().get("FLUSH_AFTER", "").split(",")) {
            if (!index.isEmpty()) {
                flushAfter.add(Integer.parseInt(index));
            }
        }
        for (int i = 0; i < 10; i++) {
            response.body().write(("p" + i + ";").getBytes(UTF_8));
            if (flushAfter.contains(i)) {
                response.body().flush();
            }
        }
    };

    private static ServerConfig config(FcgiDispatcher dispatcher, Path spool) {
        return new ServerConfig(TEN_PIECES, dispatcher, false, false, Set.of(FcgiRole.RESPONDER), 16, 4, 16,
                64 * 1024, 100, Long.MAX_VALUE, 256 * 1024, spool, Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(2), Duration.ZERO, 32 * 1024,
                8L << 20, List.of());
    }

    /** The events expected for ten pieces with explicit flushes after {@code flushAfter}. */
    private static List<String> expectedEvents(Set<Integer> flushAfter) {
        List<String> expected = new ArrayList<>();
        StringBuilder pending = new StringBuilder("Status: 200 OK\r\n\r\n");
        for (int i = 0; i < 10; i++) {
            pending.append("p").append(i).append(';');
            if (flushAfter.contains(i)) {
                expected.add("STDOUT " + pending);
                expected.add("flush");
                pending.setLength(0);
            }
        }
        if (!pending.isEmpty()) {
            expected.add("STDOUT " + pending);
        }
        expected.addAll(List.of("STDOUT end", "END_REQUEST 1", "flush"));
        return expected;
    }

    @ParameterizedTest(name = "explicit flushes after pieces [{0}]")
    @ValueSource(strings = {"", "4", "0,9", "0,1,2,3,4,5,6,7,8,9"})
    @DisplayName("spec 77: ten small writes are coalesced: STDOUT, its end and END_REQUEST go out in one flush when the"
            + " handler returns, plus one flush per explicit flush()")
    void oneFlushAtTheEndPlusOnePerExplicitFlush(String flushAfterParam, @TempDir Path spool) {
        Set<Integer> flushAfter = new TreeSet<>();
        Arrays.stream(flushAfterParam.split(",")).filter(s -> !s.isEmpty()).map(Integer::parseInt)
                .forEach(flushAfter::add);
        Queue<Runnable> worker = new ArrayDeque<>();
        ServerConfig config = config((request, job) -> worker.add(job), spool);
        WriteLog log = new WriteLog();
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder(), FcgiRecordEncoder.INSTANCE, log,
                new FcgiServerHandler(config, new ServerCounters(config.maxConcurrentRequests())));
        try {
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(record(BEGIN_REQUEST, 1, new byte[] {0, 1, 1, 0, 0, 0, 0, 0}));
            request.writeBytes(record(PARAMS, 1, pairs(Map.of("FLUSH_AFTER", flushAfterParam))));
            request.writeBytes(record(PARAMS, 1, new byte[0]));
            request.writeBytes(record(STDIN, 1, new byte[0]));
            ch.writeInbound(Unpooled.wrappedBuffer(request.toByteArray()));
            assertEquals(1, worker.size(), "the handler's job was dispatched at the end of PARAMS");
            assertEquals(List.of(), log.events, "nothing written before the handler runs");

            worker.poll().run();

            assertEquals(expectedEvents(flushAfter), log.events);
            assertEquals(flushAfter.size() + 1, log.flushes(), "one flush at the end plus one per explicit flush()");
            assertEquals("END_REQUEST 1", log.events.get(log.events.size() - 2), "the last flush comes after END_REQUEST");

            // what reached the wire: the response, then the end of STDOUT and END_REQUEST, whole records
            List<byte[]> records = wireRecords(ch);
            StringBuilder stdout = new StringBuilder();
            for (int i = 0; i < records.size() - 2; i++) {
                assertEquals(STDOUT, records.get(i)[1]);
                stdout.append(new String(records.get(i), 8, length(records.get(i)), ISO_8859_1));
            }
            assertEquals("Status: 200 OK\r\n\r\np0;p1;p2;p3;p4;p5;p6;p7;p8;p9;", stdout.toString());
            assertEquals("0106000100000000", hex(records.get(records.size() - 2)), "the empty STDOUT");
            assertEquals("0103000100080000" + "0000000000000000", hex(records.get(records.size() - 1)),
                    "END_REQUEST, complete, appStatus 0");
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** The records the channel wrote (flushed), each as its bytes including padding. */
    private static List<byte[]> wireRecords(EmbeddedChannel ch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object msg; (msg = ch.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                byte[] bytes = new byte[buf.readableBytes()];
                buf.readBytes(bytes);
                out.writeBytes(bytes);
            } finally {
                buf.release();
            }
        }
        byte[] all = out.toByteArray();
        List<byte[]> records = new ArrayList<>();
        for (int at = 0; at < all.length; ) {
            assertTrue(all.length - at >= 8, "a whole header");
            int size = 8 + length(Arrays.copyOfRange(all, at, at + 8)) + (all[at + 6] & 0xFF);
            records.add(Arrays.copyOfRange(all, at, at + size));
            at += size;
        }
        return records;
    }

    private static int length(byte[] record) {
        return ((record[4] & 0xFF) << 8) | (record[5] & 0xFF);
    }

    private static String hex(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(bytes);
    }
}
