package dev.fcgi.protocol.client;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fcgi.protocol.FcgiEndRequest;
import dev.fcgi.protocol.FcgiProtocolException;
import dev.fcgi.protocol.FcgiRecord;
import dev.fcgi.protocol.FcgiRecordDecoder;
import dev.fcgi.protocol.FcgiStdout;
import dev.fcgi.protocol.testing.FuzzInput;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterAll;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of {@link FcgiClient}'s handling of a whole response stream with Jazzer: a loopback
 * "application" reads each request (one per connection: keep-conn off, no multiplexing, so always request id 1) and
 * answers with the fuzzer's bytes ({@link FuzzInput}, the reads being the application's writes), then closes its
 * side. The seeds are captured php-fpm and php-cgi answers and the golden vectors. For every input:
 * <ul>
 * <li>the request completes within its timeout, with a response or an {@link FcgiClientException}, never another
 *     exception; so does reading the body;
 * <li>a response whose body reads to its end came from a well-formed stream: its STDOUT for request 1, up to a
 *     complete END_REQUEST, is the header block and exactly the body read;
 * <li>the client holds no buffer afterwards (the leak detector; the request's exchange is over).
 * </ul>
 */
class ClientResponseFuzzTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Application APPLICATION = new Application();
    private static final FcgiClient CLIENT = FcgiClient.builder().address(APPLICATION.address()).keepConn(false)
            .multiplexing(Multiplexing.OFF).maxConnections(1).requestTimeout(TIMEOUT).abortTimeout(TIMEOUT)
            .maxResponseHeaderLength(1024).build();
    private static final FcgiClientRequest REQUEST = FcgiClientRequest.builder().cgi("GET", "/fuzz.php", "a=1")
            .build();

    @AfterAll
    static void close() {
        CLIENT.close();
        APPLICATION.close();
    }

    @FuzzTest
    void respond(FuzzedDataProvider data) throws Exception {
        respond(FuzzInput.read(data));
    }

    private static void respond(FuzzInput input) throws Exception {
        APPLICATION.answer = input;
        CompletableFuture<FcgiClientResponse> sent = CLIENT.send(REQUEST);
        FcgiClientResponse response;
        try {
            response = sent.get(2 * TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertInstanceOf(FcgiClientException.class, e.getCause(), "the request failed with " + e.getCause());
            return;
        } catch (TimeoutException e) {
            throw new AssertionError("no outcome after twice the request timeout (" + input + ')');
        }
        try (response) {
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return response.bodyAsBytes();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            byte[] body;
            try {
                body = read.get(2 * TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof UncheckedIOException io ? io.getCause() : e.getCause();
                assertInstanceOf(FcgiClientException.class, cause, "reading the body failed with " + cause);
                return;
            }
            assertEquals(1, response.requestId());
            byte[] stdout = stdoutOfCompleteResponse(input.stream());
            assertTrue(stdout != null, "a body was read to its end from a stream without a complete END_REQUEST");
            assertTrue(stdout.length >= body.length, "a body longer than the STDOUT stream");
            assertArrayEquals(Arrays.copyOfRange(stdout, stdout.length - body.length, stdout.length), body,
                    "the body is the end of STDOUT");
        }
    }

    /**
     * The STDOUT of request 1 (up to its end-of-stream record) when an END_REQUEST for it follows, by the record
     * decoder; null when the stream breaks off or a framing error comes before that.
     */
    private static byte[] stdoutOfCompleteResponse(byte[] stream) {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        boolean stdoutEnded = false;
        try {
            try {
                ch.writeInbound(Unpooled.wrappedBuffer(stream));
            } catch (FcgiProtocolException e) {
                // a framing error: the records before it count, as they did for the client
            }
            for (Object msg; (msg = ch.readInbound()) != null; ) {
                FcgiRecord record = (FcgiRecord) msg;
                try {
                    if (record instanceof FcgiStdout out && out.requestId() == 1 && !stdoutEnded) {
                        stdoutEnded = out.isEndOfStream();
                        stdout.writeBytes(ByteBufUtil.getBytes(out.content()));
                    } else if (record instanceof FcgiEndRequest end && end.requestId() == 1) {
                        return stdout.toByteArray();
                    }
                } finally {
                    ReferenceCountUtil.release(record);
                }
            }
            return null;
        } finally {
            try {
                ch.finishAndReleaseAll();
            } catch (FcgiProtocolException e) {
                // the stream ends inside a record
            }
        }
    }

    /**
     * Answers every connection: reads the request until its empty STDIN, writes the current answer in its reads,
     * shuts its output and waits for the client to close. One connection at a time, on a thread of its own.
     */
    private static final class Application implements AutoCloseable {

        private static final byte[] STDIN_END = {1, 5, 0, 1, 0, 0, 0, 0};

        private final ServerSocketChannel listener;
        private final Thread thread;
        volatile FuzzInput answer;

        Application() {
            try {
                listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            thread = Thread.ofPlatform().daemon().name("fuzz-application").start(this::serve);
        }

        InetSocketAddress address() {
            try {
                return (InetSocketAddress) listener.getLocalAddress();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void serve() {
            while (listener.isOpen()) {
                try (SocketChannel connection = listener.accept()) {
                    connection.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    connection.socket().setSoTimeout((int) (4 * TIMEOUT.toMillis()));
                    answer(connection);
                } catch (IOException e) {
                    // the client closed early, or the listener closed
                }
            }
        }

        private void answer(SocketChannel connection) throws IOException {
            var in = connection.socket().getInputStream();
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            while (!endsWith(request.toByteArray(), STDIN_END)) {
                int n = in.read(buffer);
                if (n < 0) {
                    return;
                }
                request.write(buffer, 0, n);
            }
            FuzzInput input = answer;
            byte[] stream = input.stream();
            var sizes = input.readSizes();
            for (int at = 0; at < stream.length; ) {
                int n = sizes.applyAsInt(stream.length - at);
                connection.write(ByteBuffer.wrap(stream, at, n));
                at += n;
            }
            connection.shutdownOutput();
            while (in.read(buffer) >= 0) {
                // until the client closes
            }
        }

        private static boolean endsWith(byte[] bytes, byte[] suffix) {
            return bytes.length >= suffix.length
                    && Arrays.equals(bytes, bytes.length - suffix.length, bytes.length, suffix, 0, suffix.length);
        }

        @Override
        public void close() {
            try {
                listener.close();
                thread.join(TIMEOUT.toMillis());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
