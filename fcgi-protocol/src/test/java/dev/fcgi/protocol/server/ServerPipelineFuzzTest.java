package dev.fcgi.protocol.server;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fcgi.protocol.FcgiBeginRequest;
import dev.fcgi.protocol.FcgiEndRequest;
import dev.fcgi.protocol.FcgiGetValuesResult;
import dev.fcgi.protocol.FcgiProtocolException;
import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.FcgiRecord;
import dev.fcgi.protocol.FcgiRecordDecoder;
import dev.fcgi.protocol.FcgiRecordEncoder;
import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.FcgiStderr;
import dev.fcgi.protocol.FcgiStdout;
import dev.fcgi.protocol.FcgiUnknownType;
import dev.fcgi.protocol.testing.CgiResponse;
import dev.fcgi.protocol.testing.FuzzInput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of request aggregation with Jazzer: the server's pipeline as {@link FcgiServer} builds it
 * (idle timer, {@link FcgiRecordDecoder}, {@link FcgiRecordEncoder}, {@link FcgiServerHandler}) in an
 * {@link EmbeddedChannel}, fed the bytes a web server sends, in reads of the fuzzer's choosing ({@link FuzzInput});
 * the seeds are captured nginx and Apache connections and the golden vectors. Small limits (4 requests per
 * connection, 3 in all, 256 bytes and 8 pairs of params, 1 KiB bodies, spooled past 256 bytes) so that inputs
 * reach them. Option bit 0 runs the handler on a worker (a queue the target drains after every read, or, with bit
 * 1, once the input is all in) instead of on the event loop. The handler reads the body (and data), and answers
 * with their sizes; a {@code FUZZ_ACTION} param makes it throw, write to stderr, finish early or set a header from
 * {@code FUZZ_VALUE}. After the input, the clock moves past the header and linger timeouts, then past the idle
 * timeout. For every input:
 * <ul>
 * <li>the only exceptions the handler sees are {@link FcgiProtocolException} and I/O errors (a write after the
 *     connection closed: a handler on a worker that ends after the web server hung up), and none leaves the
 *     pipeline;
 * <li>END_REQUEST, STDOUT and STDERR go only to a request in progress, once per BEGIN_REQUEST; management
 *     answers have id 0; the bytes written decode without error;
 * <li>no more requests are in progress than the limits allow, and while the connection is open after the
 *     timeouts, none is left without its END_REQUEST;
 * <li>a request's STDOUT, if any, is a CGI response: headers, a blank line, a body;
 * <li>afterwards every input buffer is released, no request is counted and no spool file is left.
 * </ul>
 * Findings kept as regression inputs: {@code finding-stalled-stdin-on-event-loop} (with the handler on the event
 * loop, a request whose STDIN never ended kept its slot for as long as the connection stayed open: no timeout
 * applied; it is now answered 408 after the body read timeout).
 */
class ServerPipelineFuzzTest {

    private static final int MAX_REQUESTS_PER_CONNECTION = 4;
    private static final int MAX_CONCURRENT_REQUESTS = 3;
    private static final Path SPOOL = spoolDirectory();

    private static final FcgiHandler HANDLER = (request, response) -> {
        byte[] body = request.body().readAllBytes();
        byte[] data = request.role() == FcgiRole.FILTER ? request.data().readAllBytes() : new byte[0];
        switch (request.params().get("FUZZ_ACTION", "")) {
            case "throw" -> throw new IllegalStateException("FUZZ_ACTION=throw");
            case "stderr" -> response.stderr().write(body);
            case "finish" -> response.finish();
            case "header" -> response.header("X-Fuzz", request.params().get("FUZZ_VALUE", ""));
            default -> {
            }
        }
        response.contentType("text/plain");
        response.body().write(("params " + request.params().size() + ", body " + body.length + ", data "
                + data.length + '\n').getBytes(StandardCharsets.US_ASCII));
    };

    @FuzzTest
    void serve(FuzzedDataProvider data) {
        FuzzInput input = FuzzInput.read(data);
        Queue<Runnable> worker = new ArrayDeque<>();
        boolean onWorker = input.option(0);
        boolean workerWaits = input.option(1);
        ServerConfig config = config(!onWorker, (request, job) -> worker.add(job));
        ServerCounters counters = new ServerCounters(config.maxConcurrentRequests());
        Observer observer = new Observer(new FcgiServerHandler(config, counters));
        EmbeddedChannel ch = new EmbeddedChannel(
                new IdleStateHandler(config.idleTimeout().toNanos(), 0, 0, TimeUnit.NANOSECONDS),
                new FcgiRecordDecoder(), FcgiRecordEncoder.INSTANCE, observer.outbound, observer);
        ch.freezeTime();
        EmbeddedChannel output = new EmbeddedChannel(new FcgiRecordDecoder());
        ByteBuf root;
        try {
            root = input.feed(ch, () -> {
                if (!workerWaits) {
                    drain(worker);
                }
                observer.check();
                passOn(ch, output);
            });
            drain(worker);
            ch.advanceTimeBy(60, TimeUnit.SECONDS);         // past the header and linger timeouts, not the idle one
            ch.runScheduledPendingTasks();
            ch.runPendingTasks();
            observer.check();
            if (ch.isOpen()) {
                assertEquals(Set.of(), observer.inProgress.keySet(),
                        "requests left without END_REQUEST on an open connection, after the timeouts");
            }
            ch.advanceTimeBy(1, TimeUnit.HOURS);
            ch.runScheduledPendingTasks();
            passOn(ch, output);
            ch.close();
            ch.checkException();                            // nothing reached the end of the pipeline
        } finally {
            ch.finishAndReleaseAll();
            output.finishAndReleaseAll();
        }
        observer.check();
        assertEquals(0, root.refCnt(), "the pipeline still holds input");
        assertEquals(0, counters.requests(), "requests still counted");
        assertEquals(List.of(), spoolFiles(), "spool files left");
    }

    /** Runs the handler jobs queued so far, as a worker thread would. */
    private static void drain(Queue<Runnable> worker) {
        for (Runnable job; (job = worker.poll()) != null; ) {
            job.run();
        }
    }

    /** Moves what the server wrote into a decoder of its own: it must decode without error. */
    private static void passOn(EmbeddedChannel ch, EmbeddedChannel output) {
        for (Object buf; (buf = ch.readOutbound()) != null; ) {
            output.writeInbound(buf);
        }
        for (Object record; (record = output.readInbound()) != null; ) {
            ReferenceCountUtil.release(record);
        }
    }

    private static ServerConfig config(boolean onEventLoop, FcgiDispatcher dispatcher) {
        return new ServerConfig(HANDLER, dispatcher, onEventLoop, false, Set.of(FcgiRole.RESPONDER, FcgiRole.FILTER), 16,
                MAX_REQUESTS_PER_CONNECTION, MAX_CONCURRENT_REQUESTS, 256, 8, 1024, 256, SPOOL,
                Duration.ofSeconds(10), Duration.ofMillis(1), Duration.ofSeconds(10), Duration.ofSeconds(120),
                Duration.ofSeconds(2), Duration.ZERO, 256, 8L << 20, List.of());
    }

    private static Path spoolDirectory() {
        try {
            Path dir = Files.createTempDirectory("fcgi-fuzz-spool-");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> spoolFiles() {
        try (Stream<Path> files = Files.list(SPOOL)) {
            return files.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sits in the handler's place and passes everything to it, noting the exceptions it gets or throws and the
     * BEGIN_REQUESTs it reads; {@link #outbound}, in front of the encoder, notes what it writes. Checks the
     * requests' lifecycle from both.
     */
    private static final class Observer extends ChannelInboundHandlerAdapter {

        private final FcgiServerHandler handler;
        private final List<Throwable> exceptions = new ArrayList<>();
        /** Requests begun and not ended, with their STDOUT so far. */
        private final Map<Integer, ByteArrayOutputStream> inProgress = new HashMap<>();
        private final List<String> violations = new ArrayList<>();

        final ChannelOutboundHandlerAdapter outbound = new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (msg instanceof FcgiRecord record) {
                    written(record);
                }
                ctx.write(msg, promise);
            }
        };

        Observer(FcgiServerHandler handler) {
            this.handler = handler;
        }

        void check() {
            assertEquals(List.of(), violations);
            for (Throwable e : exceptions) {
                if (!(e instanceof FcgiProtocolException) && !(e instanceof IOException)) {
                    throw new AssertionError("the handler got " + e, e);
                }
            }
            assertTrue(inProgress.size() <= Math.min(MAX_REQUESTS_PER_CONNECTION, MAX_CONCURRENT_REQUESTS),
                    "requests in progress: " + inProgress.keySet());
        }

        private void written(FcgiRecord record) {
            int id = record.requestId();
            switch (record) {
                case FcgiEndRequest end -> {
                    ByteArrayOutputStream stdout = inProgress.remove(id);
                    if (stdout == null) {
                        violations.add("END_REQUEST for request " + id + ", not in progress");
                    } else if (stdout.size() > 0) {
                        checkCgi(id, stdout.toByteArray(), end);
                    }
                }
                case FcgiStdout stdout -> {
                    ByteArrayOutputStream so = inProgress.get(id);
                    if (so == null) {
                        violations.add("STDOUT for request " + id + ", not in progress");
                    } else {
                        so.writeBytes(ByteBufUtil.getBytes(stdout.content()));
                    }
                }
                case FcgiStderr stderr -> {
                    if (!inProgress.containsKey(id)) {
                        violations.add("STDERR for request " + id + ", not in progress");
                    }
                }
                case FcgiGetValuesResult result -> {
                    if (id != 0) {
                        violations.add("GET_VALUES_RESULT with request id " + id);
                    }
                }
                case FcgiUnknownType unknown -> {
                    if (id != 0) {
                        violations.add("UNKNOWN_TYPE with request id " + id);
                    }
                }
                default -> violations.add("the server wrote " + record);
            }
        }

        private void checkCgi(int id, byte[] stdout, FcgiEndRequest end) {
            try {
                CgiResponse response = CgiResponse.parse(stdout);
                String status = response.header("Status");
                assertTrue(status == null || status.matches("[1-9][0-9][0-9]( .*)?"), "Status: " + status);
                assertEquals(FcgiProtocolStatus.REQUEST_COMPLETE, end.protocolStatus());
            } catch (AssertionError e) {
                violations.add("request " + id + ": " + e.getMessage());
            }
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            handler.handlerAdded(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean again = msg instanceof FcgiBeginRequest begin
                    && inProgress.putIfAbsent(begin.requestId(), new ByteArrayOutputStream()) != null;
            try {
                handler.channelRead(ctx, msg);
            } catch (Throwable t) {
                exceptions.add(t);
                handler.exceptionCaught(ctx, t);
            }
            if (again && ctx.channel().isOpen()) {
                violations.add("a BEGIN_REQUEST for request " + ((FcgiBeginRequest) msg).requestId()
                        + ", in progress, left the connection open");
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            handler.channelReadComplete(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            handler.channelInactive(ctx);
            inProgress.clear();                             // the connection is gone: no END_REQUEST can follow
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            handler.userEventTriggered(ctx, event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exceptions.add(cause);
            handler.exceptionCaught(ctx, cause);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            handler.channelWritabilityChanged(ctx);
        }

        @Override
        public String toString() {
            return "Observer" + inProgress.keySet() + (exceptions.isEmpty() ? "" : " " + exceptions);
        }
    }
}
