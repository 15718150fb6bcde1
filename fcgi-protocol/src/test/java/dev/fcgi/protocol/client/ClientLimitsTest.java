package dev.fcgi.protocol.client;

import dev.fcgi.protocol.client.FakeFcgiServer.FakeRequest;
import io.netty.channel.Channel;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static dev.fcgi.protocol.client.Await.failure;
import static dev.fcgi.protocol.client.Await.get;
import static dev.fcgi.protocol.testing.LimitValues.edgesAndSeeded;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Every limit of {@link FcgiClient.Builder}, each with an answer just under it (taken as usual) and just over it
 * (the documented reaction), against a scripted application; values are edges plus one drawn from a fixed seed
 * ({@link dev.fcgi.protocol.testing.LimitValues}).
 * The timeouts' reactions are also in {@link FcgiClientFlowTest} (request timeout), {@link FcgiClientSpecTest}
 * (abort timeout) and {@link FcgiClientMultiplexingTest} (connect timeout of the multiplexing probe).
 */
class ClientLimitsTest extends FakeServerTestBase {

    static final String OK = "Content-Type: text/plain\r\n\r\nok";


    private static String body(FcgiClientResponse response) throws Exception {
        try (response) {
            return response.bodyAsString();
        }
    }

    /** A CGI header block of exactly {@code length} bytes, its final empty line included, and a body "ok". */
    static String headerBlockOf(int length) {
        String block = "X: " + "h".repeat(length - 7) + "\r\n\r\n";
        assertEquals(length, block.length());
        return block + "ok";
    }

    static IntStream headerLengths() {
        return edgesAndSeeded(64, 256 * 1024, 7, 1024, 64 * 1024);
    }

    @ParameterizedTest(name = "maxResponseHeaderLength {0}")
    @MethodSource("headerLengths")
    @DisplayName("maxResponseHeaderLength: a header block of exactly the limit is parsed, one byte more fails that"
            + " request with FcgiClientException; the next request is served")
    void maxResponseHeaderLength(int limit) throws Exception {
        server = FakeFcgiServer.tcp(request -> request.respond(headerBlockOf(Integer.parseInt(request.param("LENGTH")))));
        client(b -> b.multiplexing(Multiplexing.OFF).maxResponseHeaderLength(limit));
        FcgiClientResponse fits = get(client.send(FcgiClientRequest.builder().cgi("GET", "/a.php", "")
                .param("LENGTH", Integer.toString(limit)).build()));
        assertEquals(limit - 7, fits.header("X").length());
        assertEquals("ok", body(fits));
        Throwable tooLong = failure(client.send(FcgiClientRequest.builder().cgi("GET", "/a.php", "")
                .param("LENGTH", Integer.toString(limit + 1)).build()));
        assertInstanceOf(FcgiClientException.class, tooLong);
        assertTrue(tooLong.getMessage().contains("header block too long: more than " + limit + " bytes"),
                tooLong.getMessage());
        assertEquals("ok", body(get(client.send(FcgiClientRequest.builder().cgi("GET", "/b.php", "")
                .param("LENGTH", Integer.toString(limit)).build()))), "the next request");
    }

    static IntStream bufferSizes() {
        return edgesAndSeeded(1024, 1 << 20, 1024, 64 * 1024, 256 * 1024);
    }

    @ParameterizedTest(name = "responseBufferSize {0}")
    @MethodSource("bufferSizes")
    @DisplayName("responseBufferSize: an unread body of exactly that size leaves the connection reading; one byte more"
            + " stops it until the reader has taken half")
    void responseBufferSize(int size) throws Exception {
        server = FakeFcgiServer.tcp(request -> request.stdout("Content-Type: application/octet-stream\r\n\r\n")
                .stdout(new byte[Integer.parseInt(request.param("SIZE"))]));
        client(b -> b.multiplexing(Multiplexing.OFF).maxConnections(1).responseBufferSize(size));
        for (int length : new int[] {size, size + 1}) {
            FcgiClientResponse response = get(client.send(FcgiClientRequest.builder().cgi("GET", "/a.php", "")
                    .param("SIZE", Integer.toString(length)).build()));
            Channel channel = client.pool.connections().get(0).channel();
            Await.until(length + " body bytes buffered", () -> response.bodyStream().bufferedBytes() == length);
            if (length == size) {
                assertTrue(channel.config().isAutoRead(), "still reading with " + length + " bytes unread");
            } else {
                Await.until("the connection stops reading", () -> !channel.config().isAutoRead());
                response.body().readNBytes(length - size / 2);         // down to the low-water mark
                Await.until("reading again once the reader took half", () -> channel.config().isAutoRead());
            }
            FakeRequest request = server.connection(1).active.values().iterator().next();
            request.endStdout().end(0, dev.fcgi.protocol.FcgiProtocolStatus.REQUEST_COMPLETE);
            get(response.end());
            response.close();
        }
    }

    static IntStream connectionCounts() {
        return edgesAndSeeded(2, 16, 1, 3);
    }

    @ParameterizedTest(name = "maxConnections {0}")
    @MethodSource("connectionCounts")
    @DisplayName("maxConnections: that many requests run at once on as many connections; one more waits for a free one")
    void maxConnections(int limit) throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.OFF).maxConnections(limit));
        List<CompletableFuture<FcgiClientResponse>> running = new ArrayList<>();
        List<FakeRequest> requests = new ArrayList<>();
        for (int i = 0; i < limit; i++) {
            running.add(client.send(FcgiClientRequest.get("/a.php", "n=" + i)));
            requests.add(server.nextRequest());
        }
        CompletableFuture<FcgiClientResponse> waiting = client.send(FcgiClientRequest.get("/b.php", ""));
        Await.until("one request waits for a connection", () -> client.pool.waiting() == 1);
        assertEquals(limit, server.connections.size());
        requests.get(0).respond(OK);
        server.nextRequest().respond(OK);
        assertEquals("ok", body(get(waiting)));
        assertEquals(limit, server.connections.size(), "it took the freed connection");
        for (int i = 1; i < limit; i++) {
            requests.get(i).respond(OK);
        }
        for (CompletableFuture<FcgiClientResponse> future : running) {
            assertEquals("ok", body(get(future)));
        }
    }

    static IntStream requestsPerConnection() {
        return edgesAndSeeded(2, 100, 1, 2);
    }

    @ParameterizedTest(name = "maxRequestsPerConnection {0}")
    @MethodSource("requestsPerConnection")
    @DisplayName("spec 65: maxRequestsPerConnection: that many requests share one connection; one more opens another")
    void maxRequestsPerConnection(int limit) throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.ON).maxRequestsPerConnection(limit));
        List<CompletableFuture<FcgiClientResponse>> futures = new ArrayList<>();
        List<FakeRequest> requests = new ArrayList<>();
        for (int i = 0; i < limit; i++) {
            futures.add(client.send(FcgiClientRequest.get("/a.php", "n=" + i)));
            requests.add(server.nextRequest());
        }
        assertEquals(1, server.connections.size(), limit + " requests on one connection");
        futures.add(client.send(FcgiClientRequest.get("/a.php", "one more")));
        FakeRequest extra = server.nextRequest();
        assertEquals(2, extra.connection.index, "one more opens a second connection");
        requests.add(extra);
        for (FakeRequest request : requests) {
            request.respond(OK);
        }
        for (CompletableFuture<FcgiClientResponse> future : futures) {
            assertEquals("ok", body(get(future)));
        }
    }

    @Test
    @DisplayName("requestTimeout: an answer within it is taken; past it the request fails with FcgiTimeoutException")
    void requestTimeout() throws Exception {
        server = FakeFcgiServer.tcp(FakeFcgiServer.silent());
        client(b -> b.multiplexing(Multiplexing.OFF).maxConnections(1).requestTimeout(Duration.ofMillis(800)));
        CompletableFuture<FcgiClientResponse> patient = client.send(FcgiClientRequest.get("/a.php", ""));
        FakeRequest request = server.nextRequest();
        Thread.sleep(200);                                      // a slow application, within the timeout
        request.respond(OK);
        assertEquals("ok", body(get(patient)));
        Throwable late = failure(client.send(FcgiClientRequest.get("/b.php", "")));
        assertInstanceOf(FcgiTimeoutException.class, late);
        assertTrue(late.getMessage().contains("request timed out after 800 ms"), late.getMessage());
    }
    @Test
    @DisplayName("connectTimeout: a connect the application never completes (its accept queue is full) fails with"
            + " FcgiConnectException after the connect timeout")
    void connectTimeout() throws Exception {
        List<java.nio.channels.SocketChannel> queued = new ArrayList<>();
        try (java.net.ServerSocket neverAccepts = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            java.net.InetSocketAddress address = (java.net.InetSocketAddress) neverAccepts.getLocalSocketAddress();
            for (int i = 0; i < 8; i++) {               // backlog 1: the kernel completes two, and drops the rest
                java.nio.channels.SocketChannel channel = java.nio.channels.SocketChannel.open();
                channel.configureBlocking(false);
                channel.connect(address);
                queued.add(channel);
            }
            try (FcgiClient hanging = FcgiClient.builder().address(address).multiplexing(Multiplexing.OFF)
                    .connectTimeout(Duration.ofMillis(300)).requestTimeout(Duration.ofSeconds(30)).build()) {
                Throwable failure = failure(hanging.send(FcgiClientRequest.get("/a.php", "")));
                assertInstanceOf(FcgiConnectException.class, failure);
                assertTrue(failure.getMessage().contains("timed out"), failure.getMessage());
            }
        } finally {
            for (java.nio.channels.SocketChannel channel : queued) {
                channel.close();
            }
        }
    }
}
