package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.FcgiStdout;
import dev.fcgi.protocol.client.FakeFcgiServer.FakeRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static dev.fcgi.protocol.client.Await.failure;
import static dev.fcgi.protocol.client.Await.get;
import static dev.fcgi.protocol.client.FcgiClientSpecTest.OK;
import static dev.fcgi.protocol.client.FcgiClientSpecTest.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streaming with bounded memory in both directions, time limits, the pool's waiting line, keep-conn off,
 * transports and addresses, and the client's life cycle, against the fake application.
 */
class FcgiClientFlowTest extends FakeServerTestBase {

    static final int BLOCK = 65536;
    static final byte[] PATTERN = FcgiClientSpecTest.pattern(BLOCK);

    EventLoopGroup group;

    @AfterEach
    void closeGroup() {
        closeClientAndServer();                             // before the group they may run on
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    // ---- response body: streamed with bounded memory -------------------------------------------------------------

    /** Writes {@code total} bytes of the pattern as STDOUT, only while the channel is writable, then ends. */
    static void streamPattern(FakeRequest request, long total) {
        Channel ch = request.connection.channel;
        ByteBuf block = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(PATTERN));
        AtomicLong left = new AtomicLong(total);
        Runnable writer = () -> {
            while (left.get() > 0 && ch.isWritable()) {
                int n = (int) Math.min(BLOCK, left.get());
                ch.write(new FcgiStdout(request.id, block.duplicate().writerIndex(n)));
                left.addAndGet(-n);
            }
            ch.flush();
            if (left.get() == 0 && left.getAndSet(-1) == 0) {
                request.endStdout().end(0, FcgiProtocolStatus.REQUEST_COMPLETE);
            }
        };
        request.connection.onWritable = writer;
        request.stdout("Content-Type: application/octet-stream\r\n\r\n");
        writer.run();
    }

    static String patternSha256(long total) {
        MessageDigest digest = FakeFcgiServer.sha256();
        for (long left = total; left > 0; left -= BLOCK) {
            digest.update(PATTERN, 0, (int) Math.min(BLOCK, left));
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    @Test
    void fiftyMegabyteResponseStreamsWithBoundedMemory() throws Exception {
        long total = 50L * 1024 * 1024;
        server = FakeFcgiServer.tcp(r -> streamPattern(r, total));
        client(b -> b.multiplexing(Multiplexing.OFF));

        FcgiClientResponse response = get(client.send(FcgiClientRequest.get("/big.php", "")));
        Channel clientChannel = client.pool.connections().get(0).channel();
        Await.until("the client stops reading", () -> !clientChannel.config().isAutoRead());
        server.await("the server feels the backpressure", () -> server.connection(1).unwritableEvents > 0);
        long buffered = response.bodyStream().bufferedBytes();
        assertTrue(buffered <= 2L * 1024 * 1024,
                "unread body held by the client: " + buffered + " bytes (high-water mark 256 KiB)");

        MessageDigest digest = FakeFcgiServer.sha256();
        long read = 0;
        byte[] buf = new byte[BLOCK];
        try (InputStream in = response.body()) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                digest.update(buf, 0, n);
                read += n;
            }
        }
        assertEquals(total, read);
        assertEquals(patternSha256(total), HexFormat.of().formatHex(digest.digest()));
        assertEquals(0, response.appStatus());
        assertTrue(clientChannel.config().isAutoRead(), "reading again once drained");
        assertTrue(server.connection(1).unwritableEvents > 1, "paused and resumed more than once");
    }

    // ---- request body: pumped as the connection drains -----------------------------------------------------------

    /** A stream of {@code total} pattern bytes, generated on the fly, counting what was read. */
    static final class PatternStream extends InputStream {
        final long total;
        final AtomicLong read = new AtomicLong();

        PatternStream(long total) {
            this.total = total;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            long position = read.get();
            if (position >= total) {
                return -1;
            }
            int n = (int) Math.min(len, Math.min(total - position, BLOCK - position % BLOCK));
            System.arraycopy(PATTERN, (int) (position % BLOCK), b, off, n);
            read.addAndGet(n);
            return n;
        }
    }

    @Test
    void streamedRequestBodyIsSentOnlyAsFastAsTheApplicationReads() throws Exception {
        long total = 64L * 1024 * 1024;
        server = FakeFcgiServer.tcp(r -> r.respond("Content-Type: text/plain\r\n\r\n" + r.stdinLength + " "
                + r.stdinSha256()));
        AtomicBoolean stopped = new AtomicBoolean();
        server.onBegin = r -> {
            r.connection.channel.config().setAutoRead(false);
            stopped.set(true);
        };
        client(b -> b.multiplexing(Multiplexing.OFF));
        PatternStream body = new PatternStream(total);

        CompletableFuture<FcgiClientResponse> future = client.send(FcgiClientRequest.builder()
                .body(body, total).timeout(Duration.ofMinutes(2)).build());
        server.await("the application stops reading at BEGIN_REQUEST", stopped::get);
        ClientConnection connection = client.pool.connections().get(0);
        Await.until("the body pump waits for the unwritable connection",
                () -> connection.pumpsWaiting() == 1 && !connection.channel().isWritable());
        long readWhileBlocked = body.read.get();
        assertTrue(readWhileBlocked < 24L * 1024 * 1024,
                "bytes taken from the stream while the application reads nothing: " + readWhileBlocked);

        server.connection(1).channel.config().setAutoRead(true);
        assertEquals(total + " " + patternSha256(total), body(get(future)));
        assertTrue(connection.writabilityWaits() > 0);
    }

    @Test
    void failingRequestBodyStreamFailsTheRequest() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.OFF));
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("disk on fire");
            }
        };

        Throwable e = failure(client.send(FcgiClientRequest.builder().body(broken).build()));
        assertInstanceOf(FcgiClientException.class, e);
        assertTrue(e.getMessage().contains("cannot read the request body") && e.getMessage().contains("disk on fire"),
                e.getMessage());
        server.await("connection closed (the request was alone)", () -> server.connection(1).isClosed());
    }

    // ---- time limits ---------------------------------------------------------------------------------------------

    @Test
    void timeoutFailsTheRequestAndClosesItsConnectionWhenAlone() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.OFF).requestTimeout(Duration.ofMillis(200)));

        Throwable e = failure(client.send(FcgiClientRequest.get("/slow.php", "")));
        FcgiTimeoutException timeout = assertInstanceOf(FcgiTimeoutException.class, e);
        assertTrue(timeout.getMessage().contains("request timed out after 200 ms (requestTimeout) while waiting for "
                + "the CGI response headers of request id 1"), timeout.getMessage());
        server.await("connection closed", () -> server.connection(1).isClosed());
    }

    @Test
    void timeoutAbortsTheRequestWhenOthersShareItsConnection() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.ON).maxConnections(1));

        CompletableFuture<FcgiClientResponse> patient = client.send(FcgiClientRequest.get("/a.php", ""));
        FakeRequest r1 = server.nextRequest();
        CompletableFuture<FcgiClientResponse> hasty = client.send(FcgiClientRequest.builder()
                .cgi("GET", "/b.php", "").timeout(Duration.ofMillis(100)).build());
        FakeRequest r2 = server.nextRequest();

        assertInstanceOf(FcgiTimeoutException.class, failure(hasty));
        server.await("ABORT_REQUEST", () -> server.connection(1).log.contains("ABORT " + r2.id));
        r1.respond(OK);
        assertEquals("ok", body(get(patient)));
        assertFalse(server.connection(1).isClosed());
    }

    @Test
    void timeoutWhileReadingTheBodyFailsTheBody() throws Exception {
        server = FakeFcgiServer.tcp(r -> r.stdout("Content-Type: text/plain\r\n\r\nstart"));
        client(b -> b.multiplexing(Multiplexing.OFF).requestTimeout(Duration.ofMillis(200)));

        FcgiClientResponse response = get(client.send(FcgiClientRequest.get("/a.php", "")));
        try (response) {
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, response::bodyAsBytes);
            assertInstanceOf(FcgiTimeoutException.class, e);
            assertTrue(e.getMessage().contains("while receiving the body of request id 1"), e.getMessage());
            assertInstanceOf(FcgiTimeoutException.class, failure(response.end()));
        }
    }

    // ---- the pool's waiting line ---------------------------------------------------------------------------------

    @Test
    void requestWaitingForAConnectionTimesOutWithTheCounters() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.OFF).maxConnections(1));

        CompletableFuture<FcgiClientResponse> first = client.send(FcgiClientRequest.get("/a.php", ""));
        FakeRequest r1 = server.nextRequest();
        Throwable e = failure(client.send(FcgiClientRequest.builder().cgi("GET", "/b.php", "")
                .timeout(Duration.ofMillis(100)).build()));
        assertInstanceOf(FcgiTimeoutException.class, e);
        assertTrue(e.getMessage().contains("while waiting for a connection (all 1 busy, maxConnections 1, 1 waiting)"),
                e.getMessage());
        assertEquals(0, client.pool.waiting());
        r1.respond(OK);
        assertEquals("ok", body(get(first)));
    }

    // ---- keepConn(false) -----------------------------------------------------------------------------------------

    @Test
    void withoutKeepConnEveryRequestHasItsOwnConnection() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        client(b -> b.keepConn(false));

        for (int i = 0; i < 3; i++) {
            assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/a.php", "")))));
        }
        assertEquals(3, server.connections.size(), "no GET_VALUES probe without keep-conn, one connection each");
        for (FakeFcgiServer.FakeConnection c : server.connections) {
            assertEquals(List.of("BEGIN 1 RESPONDER close", "PARAMS 1 end", "STDIN 1 end"), c.log);
            server.await("connection closed", c::isClosed);
        }
        Await.until("the client forgot them", () -> client.pool.connectionCount() == 0);
    }

    // ---- transports and addresses --------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} group, {1} address")
    @CsvSource({"own, netty", "own, jdk", "nio, netty", "nio, jdk", "epoll, netty", "epoll, jdk"})
    void unixSocket(String transport, String addressKind, @TempDir Path dir) throws Exception {
        Path socket = dir.resolve("app.sock");
        server = FakeFcgiServer.unix(socket, FakeFcgiServer.answering(OK));
        SocketAddress address = addressKind.equals("netty") ? new DomainSocketAddress(socket.toFile())
                : UnixDomainSocketAddress.of(socket);
        Class<?> expected = switch (transport) {
            case "nio" -> {
                group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
                yield NioDomainSocketChannel.class;
            }
            case "epoll" -> {
                Assumptions.assumeTrue(Epoll.isAvailable(), "epoll is not available here");
                group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
                yield EpollDomainSocketChannel.class;
            }
            default -> Epoll.isAvailable() ? EpollDomainSocketChannel.class : NioDomainSocketChannel.class;
        };
        FcgiClient.Builder builder = FcgiClient.builder().address(address).multiplexing(Multiplexing.OFF);
        if (group != null) {
            builder.eventLoopGroup(group);
        }
        client = builder.build();

        assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/a.php", "")))));
        assertEquals(expected, client.pool.connections().get(0).channel().getClass());
        client.close();
        if (group != null) {
            assertFalse(group.isShuttingDown(), "a group given to the client is left running");
        }
    }

    @Test
    void tcpOnAGivenNioGroup() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.answering(OK));
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        client(b -> b.eventLoopGroup(group));

        assertEquals("ok", body(get(client.send(FcgiClientRequest.get("/a.php", "")))));
        assertEquals(NioSocketChannel.class, client.pool.connections().get(0).channel().getClass());
    }

    @Test
    void refusedConnectionFailsWithFcgiConnectException() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        client = FcgiClient.builder().address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).build();

        Throwable e = failure(client.send(FcgiClientRequest.get("/a.php", "")));
        assertInstanceOf(FcgiConnectException.class, e);
        assertTrue(e.getMessage().contains("cannot connect to"), e.getMessage());
        Throwable again = failure(client.send(FcgiClientRequest.get("/a.php", "")));
        assertInstanceOf(FcgiConnectException.class, again, "the probe is tried again, and fails the same way");
    }

    @Test
    void missingUnixSocketFailsWithFcgiConnectException(@TempDir Path dir) throws Exception {
        client = FcgiClient.builder().address(new DomainSocketAddress(dir.resolve("none.sock").toFile()))
                .multiplexing(Multiplexing.OFF).build();
        assertInstanceOf(FcgiConnectException.class, failure(client.send(FcgiClientRequest.get("/a.php", ""))));
    }

    // ---- life cycle, stderr, odd splits --------------------------------------------------------------------------

    @Test
    void closingTheClientFailsRequestsInProgressAndLaterOnes() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.OFF));

        CompletableFuture<FcgiClientResponse> pending = client.send(FcgiClientRequest.get("/a.php", ""));
        server.nextRequest();
        client.close();
        assertTrue(failure(pending).getMessage().contains("client closed"));
        assertTrue(failure(client.send(FcgiClientRequest.get("/a.php", ""))).getMessage().contains("client closed"));
        assertTrue(failure(client.getValues("FCGI_MPXS_CONNS")).getMessage().contains("client closed"));
        server.await("connection closed", () -> server.connection(1).isClosed());
    }

    @Test
    void stderrIsKeptUpTo64KiB() throws Exception {
        String line = "PHP Warning: something odd\n";
        server = FakeFcgiServer.tcp(r -> {
            r.stdout("Status: 200\r\n");
            for (int i = 0; i < 4000; i++) {
                r.stderr(line);
            }
            r.stdout("\r\nbody").endStdout().end(0, FcgiProtocolStatus.REQUEST_COMPLETE);
        });
        client(b -> b.multiplexing(Multiplexing.OFF));

        FcgiClientResponse response = get(client.send(FcgiClientRequest.get("/a.php", "")));
        assertEquals("body", body(response));
        String stderr = response.stderr();
        assertTrue(stderr.startsWith(line + line));
        assertTrue(stderr.endsWith("\n[" + (4000L * line.length() - FcgiClient.STDERR_LIMIT)
                + " more bytes of stderr dropped]"), stderr.substring(stderr.length() - 80));
    }

    @Test
    void headerBlockSplitIntoOneByteRecordsIsParsed() throws Exception {
        String cgi = "Status: 404 Not Found\r\nX-A: 1\nx-a: 2\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n\r\n"
                + "caf\u00e9";
        server = FakeFcgiServer.tcp(r -> {
            for (byte b : cgi.getBytes(StandardCharsets.ISO_8859_1)) {
                r.stdout(new byte[]{b});
            }
            r.endStdout().end(0, FcgiProtocolStatus.REQUEST_COMPLETE);
        });
        client(b -> b.multiplexing(Multiplexing.OFF));

        FcgiClientResponse response = get(client.send(FcgiClientRequest.get("/a.php", "")));
        assertEquals(404, response.status());
        assertEquals("Not Found", response.reason());
        assertEquals(List.of("1", "2"), response.headers("X-A"));
        assertEquals("caf\u00e9", body(response), "decoded with the Content-Type charset");
    }

    @Test
    void manySequentialRequestsReuseOneConnection() throws Exception {
        AtomicInteger served = new AtomicInteger();
        server = FakeFcgiServer.tcp(r -> r.respond("Content-Type: text/plain\r\n\r\n" + served.incrementAndGet()));
        client(b -> b.multiplexing(Multiplexing.OFF));

        for (int i = 1; i <= 200; i++) {
            assertEquals(String.valueOf(i), body(get(client.send(FcgiClientRequest.get("/a.php", "")))));
        }
        assertEquals(1, server.connections.size());
    }
}
