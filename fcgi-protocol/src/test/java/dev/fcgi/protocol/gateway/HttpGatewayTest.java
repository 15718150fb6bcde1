package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import io.netty.channel.EventLoopGroup;
import dev.fcgi.protocol.client.Multiplexing;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.FreePorts;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link HttpGateway} in front of this library's {@link dev.fcgi.protocol.server.FcgiServer}, whose handler echoes
 * what it received ({@link EchoBackend}); java.net.http for plain exchanges, {@link RawHttp} where the wire matters.
 */
class HttpGatewayTest extends GatewayTestBase {

    HttpClient http;

    @BeforeEach
    void startHttpClient() {
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(WAIT).build();
    }

    @AfterEach
    void stopHttpClient() {
        http.close();
    }

    private int port() {
        return ((InetSocketAddress) gateway.localAddress()).getPort();
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(WAIT).build(), BodyHandlers.ofString());
    }

    private Map<String, String> echo(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body());
        return EchoBackend.parse(response.body());
    }

    @Test
    @DisplayName("GET with a query: the CGI variables nginx's fastcgi_params sets")
    void getWithQuery() throws Exception {
        start();
        Map<String, String> vars = echo(get("/index.php?a=1&b=two%20words"));
        String docRoot = root.toAbsolutePath().normalize().toString();
        assertEquals("a=1&b=two%20words", vars.get("QUERY_STRING"));
        assertEquals("GET", vars.get("REQUEST_METHOD"));
        assertEquals("", vars.get("CONTENT_TYPE"));
        assertEquals("", vars.get("CONTENT_LENGTH"));
        assertEquals("/index.php", vars.get("SCRIPT_NAME"));
        assertEquals(docRoot + "/index.php", vars.get("SCRIPT_FILENAME"));
        assertEquals("", vars.get("PATH_INFO"));
        assertFalse(vars.containsKey("PATH_TRANSLATED"), "no PATH_TRANSLATED without a path info");
        assertEquals("/index.php?a=1&b=two%20words", vars.get("REQUEST_URI"));
        assertEquals("/index.php", vars.get("DOCUMENT_URI"));
        assertEquals(docRoot, vars.get("DOCUMENT_ROOT"));
        assertEquals("HTTP/1.1", vars.get("SERVER_PROTOCOL"));
        assertEquals("http", vars.get("REQUEST_SCHEME"));
        assertFalse(vars.containsKey("HTTPS"));
        assertEquals("CGI/1.1", vars.get("GATEWAY_INTERFACE"));
        assertEquals("fcgi-http-gateway", vars.get("SERVER_SOFTWARE"));
        assertEquals("127.0.0.1", vars.get("REMOTE_ADDR"));
        assertTrue(Integer.parseInt(vars.get("REMOTE_PORT")) > 0);
        assertEquals("127.0.0.1", vars.get("SERVER_ADDR"));
        assertEquals(Integer.toString(port()), vars.get("SERVER_PORT"));
        assertEquals("127.0.0.1", vars.get("SERVER_NAME"), "the local address: never the client's Host");
        assertEquals("200", vars.get("REDIRECT_STATUS"));
        assertEquals("127.0.0.1:" + port(), vars.get("HTTP_HOST"));
        assertEquals("0", vars.get("BODY_LENGTH"));
    }

    @Test
    @DisplayName("file mode: PATH_INFO split after the .php segment, index for a directory, decoded UTF-8 paths")
    void pathInfoSplit() throws Exception {
        start();
        String docRoot = root.toAbsolutePath().normalize().toString();
        Map<String, String> vars = echo(get("/app/index.php/foo/bar%20baz?x=1"));
        assertEquals("/app/index.php", vars.get("SCRIPT_NAME"));
        assertEquals(docRoot + "/app/index.php", vars.get("SCRIPT_FILENAME"));
        assertEquals("/foo/bar baz", vars.get("PATH_INFO"));
        assertEquals(docRoot + "/foo/bar baz", vars.get("PATH_TRANSLATED"));
        assertEquals("/app/index.php/foo/bar baz", vars.get("DOCUMENT_URI"));
        assertEquals("/app/index.php/foo/bar%20baz?x=1", vars.get("REQUEST_URI"));

        vars = echo(get("/blog/"));
        assertEquals("/blog/index.php", vars.get("SCRIPT_NAME"), "the index script for a directory");
        assertEquals("/blog/", vars.get("DOCUMENT_URI"));
        assertEquals("", vars.get("PATH_INFO"));

        vars = echo(get("//a/./b//caf%C3%A9.php"));
        assertEquals("/a/b/café.php", vars.get("SCRIPT_NAME"), "slashes merged, '.' dropped, UTF-8 decoded");
        assertEquals(docRoot + "/a/b/café.php", vars.get("SCRIPT_FILENAME"));
    }

    @Test
    @DisplayName("file mode with a custom split pattern")
    void customSplitPattern() throws Exception {
        start(b -> b.splitPathInfo("^(/[^/]+\\.cgi)(/.*)?$"));
        Map<String, String> vars = echo(get("/tool.cgi/x/y"));
        assertEquals("/tool.cgi", vars.get("SCRIPT_NAME"));
        assertEquals("/x/y", vars.get("PATH_INFO"));
        vars = echo(get("/index.php/x"));
        assertEquals("/index.php/x", vars.get("SCRIPT_NAME"), "no match: the whole path is the script");
        assertEquals("", vars.get("PATH_INFO"));
    }

    @Test
    @DisplayName("front controller mode: every path goes to one script, the path as PATH_INFO; extra params and HTTPS")
    void frontController() throws Exception {
        start(b -> b.frontController("public/index.php").param("APP_ENV", "test").param("SERVER_NAME", "example.org")
                .https(true));
        String docRoot = root.toAbsolutePath().normalize().toString();
        Map<String, String> vars = echo(get("/some/route?page=2"));
        assertEquals("/public/index.php", vars.get("SCRIPT_NAME"));
        assertEquals(docRoot + "/public/index.php", vars.get("SCRIPT_FILENAME"));
        assertEquals("/some/route", vars.get("PATH_INFO"));
        assertEquals(docRoot + "/some/route", vars.get("PATH_TRANSLATED"));
        assertEquals("/some/route?page=2", vars.get("REQUEST_URI"));
        assertEquals("page=2", vars.get("QUERY_STRING"));
        assertEquals("test", vars.get("APP_ENV"));
        assertEquals("example.org", vars.get("SERVER_NAME"), "an extra param replaces the standard one");
        assertEquals("on", vars.get("HTTPS"));
        assertEquals("https", vars.get("REQUEST_SCHEME"));

        vars = echo(get("/"));
        assertEquals("/public/index.php", vars.get("SCRIPT_NAME"));
        assertEquals("/", vars.get("PATH_INFO"));
    }

    @Test
    @DisplayName("headers become HTTP_*: repeats joined, cookies with '; ', underscores and Proxy dropped")
    void headersToHttpVariables() throws Exception {
        start();
        try (RawHttp c = raw()) {
            c.send("""
                    GET /h.php HTTP/1.1
                    Host: example.com:8080
                    User-Agent: raw-test/1.0
                    X-Multi: one
                    X-Multi: two
                    Cookie: a=1
                    Cookie: b=2
                    X_Multi: spoofed
                    X-Under_Score: dropped
                    Proxy: http://evil.example
                    Content-Type: text/plain
                    Accept: */*

                    """);
            RawHttp.Response response = c.read();
            assertEquals(200, response.status(), response.text());
            Map<String, String> vars = EchoBackend.parse(response.text());
            assertEquals("one, two", vars.get("HTTP_X_MULTI"), "repeats joined; the X_Multi spoof dropped");
            assertEquals("a=1; b=2", vars.get("HTTP_COOKIE"));
            assertEquals("raw-test/1.0", vars.get("HTTP_USER_AGENT"));
            assertEquals("example.com:8080", vars.get("HTTP_HOST"));
            assertEquals("127.0.0.1", vars.get("SERVER_NAME"), "a spoofable Host never becomes SERVER_NAME");
            assertEquals("*/*", vars.get("HTTP_ACCEPT"));
            assertEquals("text/plain", vars.get("CONTENT_TYPE"));
            assertFalse(vars.containsKey("HTTP_CONTENT_TYPE"), "Content-Type only as CONTENT_TYPE");
            assertFalse(vars.containsKey("HTTP_X_UNDER_SCORE"));
            assertFalse(vars.containsKey("HTTP_PROXY"), "httpoxy");
        }
    }

    @Test
    @DisplayName("POST with Content-Length: a 10 MB body streamed to the backend intact")
    void postWithContentLength() throws Exception {
        start(b -> b.maxRequestBodySize(64 << 20));
        byte[] body = new byte[10 << 20];
        new Random(42).nextBytes(body);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/upload.php"))
                .timeout(WAIT).header("Content-Type", "application/octet-stream")
                .POST(BodyPublishers.ofByteArray(body)).build(), BodyHandlers.ofString());
        Map<String, String> vars = echo(response);
        assertEquals("POST", vars.get("REQUEST_METHOD"));
        assertEquals(Integer.toString(body.length), vars.get("CONTENT_LENGTH"));
        assertEquals("application/octet-stream", vars.get("CONTENT_TYPE"));
        assertEquals(Integer.toString(body.length), vars.get("BODY_LENGTH"));
        assertEquals(Sha256.hex(body), vars.get("BODY_SHA256"));
    }

    @Test
    @DisplayName("a 50 MB upload to a backend that reads nothing: the client is held back, nothing piles up")
    void uploadBackPressure() throws Exception {
        // FcgiServer would spool an unread body to a file; a backend that accepts and never reads shows the gateway.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             FcgiClient client = FcgiClient.builder().address(silent.getLocalSocketAddress())
                     .multiplexing(Multiplexing.OFF).build()) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try (Socket ignored = silent.accept()) {
                    backend.release.await();
                } catch (IOException | InterruptedException e) {
                    // the test is over
                }
            });
            start(b -> b.backend(client).maxRequestBodySize(64 << 20));
            long size = 50L << 20;
            AtomicLong sent = new AtomicLong();
            try (RawHttp c = raw()) {
                c.send("POST /upload.php HTTP/1.1\nHost: x\nContent-Length: " + size + "\n\n");
                Thread.ofVirtual().start(() -> {
                    byte[] block = new byte[64 * 1024];
                    try {
                        for (long left = size; left > 0; left -= block.length) {
                            c.send(block);
                            sent.addAndGet(block.length);
                        }
                    } catch (IOException e) {
                        // closed at the end of the test
                    }
                });
                long[] last = {-1};
                int[] stable = {0};
                Await.until(WAIT, () -> {
                    long now = sent.get();
                    stable[0] = now == last[0] ? stable[0] + 1 : 0;
                    last[0] = now;
                    return stable[0] >= 5 || now >= size;
                }, "the upload stops while the backend reads nothing");
                assertTrue(size - sent.get() > 20L << 20, "the client could send " + sent.get() + " of " + size
                        + " bytes: only socket buffers and the gateway's bounded pipe should take any");
            }
            backend.release.countDown();
            acceptor.join();
        }
    }

    @Test
    @DisplayName("chunked POST: spooled to an unlinked file to learn CONTENT_LENGTH, sent intact")
    void chunkedPost(@TempDir Path spool) throws Exception {
        backend.spoolDirectory = spool;
        start(b -> b.maxRequestBodySize(64 << 20).spoolDirectory(spool).bodySpoolThreshold(64 * 1024));
        byte[] body = new byte[3 << 20];
        new Random(7).nextBytes(body);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/spool-check.php"))
                .timeout(WAIT).POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                BodyHandlers.ofString());
        Map<String, String> vars = echo(response);
        assertEquals(Integer.toString(body.length), vars.get("CONTENT_LENGTH"), "CONTENT_LENGTH of a chunked body");
        assertEquals(Integer.toString(body.length), vars.get("BODY_LENGTH"));
        assertEquals(Sha256.hex(body), vars.get("BODY_SHA256"));
        assertFalse(vars.containsKey("HTTP_TRANSFER_ENCODING"));
        assertEquals("[]", backend.spoolListing.get(), "the spool file is unlinked while in use");

        try (RawHttp c = raw()) {                       // a small one, spooled in memory, in odd chunks
            c.send("POST /small.php HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n");
            c.chunk("hello ".getBytes(StandardCharsets.US_ASCII)).chunk("chunked ".getBytes(StandardCharsets.US_ASCII))
                    .chunk("world".getBytes(StandardCharsets.US_ASCII)).chunk(new byte[0]);
            RawHttp.Response small = c.read();
            vars = EchoBackend.parse(small.text());
            assertEquals("19", vars.get("CONTENT_LENGTH"));
            assertEquals(Sha256.hex("hello chunked world".getBytes(StandardCharsets.US_ASCII)), vars.get("BODY_SHA256"));
        }
    }

    @Test
    @DisplayName("keep-alive: two requests on one connection; HTTP/1.0 without keep-alive is closed after one")
    void keepAliveReuse() throws Exception {
        start();
        try (RawHttp c = raw()) {
            c.send("GET /one.php HTTP/1.1\nHost: x\n\n");
            Map<String, String> first = EchoBackend.parse(c.read().text());
            c.send("POST /two.php HTTP/1.1\nHost: x\nContent-Length: 3\n\nabc");
            RawHttp.Response second = c.read();
            Map<String, String> vars = EchoBackend.parse(second.text());
            assertEquals("/one.php", first.get("SCRIPT_NAME"));
            assertEquals("/two.php", vars.get("SCRIPT_NAME"));
            assertEquals("3", vars.get("BODY_LENGTH"));
            assertEquals(first.get("REMOTE_PORT"), vars.get("REMOTE_PORT"), "the same HTTP connection");
            assertNull(second.header("Connection"));
            assertEquals(1, gateway.connectionCount());
        }
        try (RawHttp c = raw()) {
            c.send("GET /old.php HTTP/1.0\n\n");
            RawHttp.Response response = c.read();                       // no length: read until the close
            assertEquals(200, response.status());
            assertEquals("close", response.header("Connection"));
            assertNull(response.header("Transfer-Encoding"), "no chunked encoding for HTTP/1.0");
            assertEquals("HTTP/1.0", EchoBackend.parse(response.text()).get("SERVER_PROTOCOL"));
        }
    }

    @Test
    @DisplayName("pipelined requests are answered in order")
    void pipelined() throws Exception {
        start();
        try (RawHttp c = raw()) {
            c.send("GET /p1.php HTTP/1.1\nHost: x\n\nGET /p2.php HTTP/1.1\nHost: x\n\nHEAD /p3.php HTTP/1.1\nHost: x\n\n"
                    + "GET /p4.php HTTP/1.1\nHost: x\n\n");
            assertEquals("/p1.php", EchoBackend.parse(c.read().text()).get("SCRIPT_NAME"));
            assertEquals("/p2.php", EchoBackend.parse(c.read().text()).get("SCRIPT_NAME"));
            assertEquals(200, c.read(true).status());
            assertEquals("/p4.php", EchoBackend.parse(c.read().text()).get("SCRIPT_NAME"));
        }
    }

    @Test
    @DisplayName("HEAD: the backend's headers without a body, and the connection stays usable")
    void head() throws Exception {
        start();
        try (RawHttp c = raw()) {
            c.send("HEAD /cookies.php HTTP/1.1\nHost: x\n\n");
            RawHttp.Response head = c.read(true);
            assertEquals(200, head.status());
            assertEquals("2", head.header("Content-Length"), "the backend's Content-Length is kept");
            c.send("GET /after.php HTTP/1.1\nHost: x\n\n");
            RawHttp.Response next = c.read();
            assertEquals("/after.php", EchoBackend.parse(next.text()).get("SCRIPT_NAME"),
                    "no body bytes were sent after the HEAD response");
        }
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri("/x.php")).timeout(WAIT)
                .method("HEAD", BodyPublishers.noBody()).build(), BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals("", response.body());
    }

    @Test
    @DisplayName("a 50 MB response streams with back-pressure: the backend waits while the client does not read")
    void largeResponseStreamed() throws Exception {
        start();
        long size = 50L << 20;
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(uri("/big.php?size=" + size))
                .timeout(Duration.ofSeconds(60)).build(), BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        assertEquals("chunked", response.headers().firstValue("Transfer-Encoding").orElse(null));
        // Nothing read yet: the backend must come to a stop, blocked on a full connection, well before the end.
        long[] last = {-1};
        int[] stable = {0};
        Await.until(WAIT, () -> {
            long now = backend.written.get();
            Thread writer = backend.bigWriter.get();
            boolean parked = writer != null && (writer.getState() == Thread.State.WAITING
                    || writer.getState() == Thread.State.TIMED_WAITING);
            stable[0] = parked && now == last[0] ? stable[0] + 1 : 0;
            last[0] = now;
            return stable[0] >= 5 || now == size;
        }, "the backend stops writing while the client reads nothing");
        long heldBack = size - backend.written.get();
        assertTrue(heldBack > 20L << 20, "at most socket buffers and a bounded window in flight; the backend wrote "
                + backend.written.get() + " of " + size + " bytes");

        MessageDigest sha = Sha256.newDigest();
        long length = 0;
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                sha.update(buffer, 0, n);
                length += n;
            }
        }
        assertEquals(size, length);
        assertEquals(Sha256.ofPattern(size, 251), Sha256.hex(sha));
    }

    @Test
    @DisplayName("a client that stops reading: closed after writeTimeout, and the FastCGI request aborted")
    void writeTimeout() throws Exception {
        start(b -> b.writeTimeout(Duration.ofMillis(300)));
        try (RawHttp c = raw()) {
            c.send("GET /big.php?size=" + (200L << 20) + " HTTP/1.1\nHost: x\n\n");
            Await.until(WAIT, () -> backend.aborted.getCount() == 0, "the backend sees its request aborted");
            assertTrue(backend.written.get() < 200L << 20);
            try {
                c.input().readAllBytes();                       // what the buffers held, then the end
            } catch (IOException reset) {
                // or a reset: closed either way
            }
        }
        Await.until(WAIT, () -> gateway.connectionCount() == 0, "the gateway closed the connection");
    }

    @Test
    @DisplayName("the backend's status and headers pass on: several Set-Cookie kept, hop-by-hop dropped")
    void statusAndHeaders() throws Exception {
        start();
        HttpResponse<String> cookies = get("/cookies.php");
        assertEquals(200, cookies.statusCode());
        assertEquals(List.of("a=1; Path=/", "b=2; HttpOnly"), cookies.headers().allValues("Set-Cookie"));
        assertEquals("ok", cookies.body());

        try (RawHttp c = raw()) {
            c.send("GET /status.php HTTP/1.1\nHost: x\n\n");
            RawHttp.Response teapot = c.read();
            assertEquals(418, teapot.status());
            assertEquals("yes", teapot.header("X-Backend"));
            assertNull(teapot.header("Connection"), "the backend's Connection header is not passed on");
            assertEquals("short and stout", teapot.text());
            c.send("GET /again.php HTTP/1.1\nHost: x\n\n");
            assertEquals(200, c.read().status(), "the connection stays open");
        }
    }

    @Test
    @DisplayName("a backend dying mid-response: the connection is closed, the response never ended as complete")
    void backendDyingMidResponse() throws Exception {
        try (ServerSocket dying = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             FcgiClient client = FcgiClient.builder().address(dying.getLocalSocketAddress())
                     .multiplexing(Multiplexing.OFF).build()) {
            Thread.ofVirtual().start(() -> answerPartlyAndDie(dying));
            start(b -> b.backend(client));
            try (RawHttp c = raw()) {
                c.send("GET /dies.php HTTP/1.1\nHost: x\n\n");
                RawHttp.Response head = c.readHead();
                assertEquals(200, head.status());
                assertEquals("chunked", head.header("Transfer-Encoding"));
                byte[] rest = c.input().readAllBytes();         // the chunks that came, then the close
                String tail = new String(rest, Math.max(0, rest.length - 5), Math.min(rest.length, 5),
                        StandardCharsets.ISO_8859_1);
                assertFalse(tail.equals("0\r\n\r\n"), "no last chunk: the client knows the answer is incomplete");
            }
            gateway.close();
        }
    }

    @Test
    @DisplayName("a backend sending less than its Content-Length: the connection is closed after what came")
    void backendShortOfItsContentLength() throws Exception {
        start();
        try (RawHttp c = raw()) {
            c.send("GET /short.php HTTP/1.1\nHost: x\n\n");
            RawHttp.Response head = c.readHead();
            assertEquals("100", head.header("Content-Length"));
            assertEquals("only ten..", new String(c.input().readAllBytes(), StandardCharsets.US_ASCII),
                    "ten bytes, then the close");
        }
    }

    /** A FastCGI application that reads a request, answers a head and 100 KB of its body, and dies. */
    private static void answerPartlyAndDie(ServerSocket server) {
        try (Socket socket = server.accept()) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            for (;;) {                                  // records up to the empty STDIN that ends the request
                byte[] header = in.readNBytes(8);
                int type = header[1];
                int length = (header[4] & 0xFF) << 8 | header[5] & 0xFF;
                in.skipNBytes(length + (header[6] & 0xFF));
                if (type == 5 && length == 0) {
                    break;
                }
            }
            OutputStream out = socket.getOutputStream();
            byte[] head = "Content-Type: text/plain\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            out.write(stdout(head));
            for (int i = 0; i < 4; i++) {
                out.write(stdout(new byte[25_000]));
            }
            out.flush();
        } catch (IOException e) {
            // the test fails on its own
        }
    }

    /** One FCGI_STDOUT record for request 1. */
    private static byte[] stdout(byte[] content) {
        byte[] record = new byte[8 + content.length];
        record[0] = 1;
        record[1] = 6;
        record[3] = 1;
        record[4] = (byte) (content.length >> 8);
        record[5] = (byte) content.length;
        System.arraycopy(content, 0, record, 8, content.length);
        return record;
    }

    @Test
    @DisplayName("a shared event loop group and FcgiClient are left running by close()")
    void sharedGroupAndClient() throws Exception {
        EventLoopGroup group = FcgiTransport.newEventLoopGroup(2, "shared");
        try (FcgiClient client = FcgiClient.builder().address(backend.address()).eventLoopGroup(group).build()) {
            gateway = HttpGateway.builder().listen("127.0.0.1:0").backend(client).eventLoopGroup(group)
                    .documentRoot(root).build().start();
            assertEquals("/a.php", echo(get("/a.php")).get("SCRIPT_NAME"));
            assertTrue(gateway.client() == client);
            gateway.close();
            assertFalse(group.isShuttingDown());
            try (FcgiClientResponse response = client.send(FcgiClientRequest.get("/srv/b.php", "")).get()) {
                assertEquals(200, response.status(), "the client still works");
            }
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    @DisplayName("backend down: 502 Bad Gateway with a short text body")
    void backendDown() throws Exception {
        int closedPort = FreePorts.find();
        gateway = HttpGateway.builder().listen("127.0.0.1:0").backend(new InetSocketAddress("127.0.0.1", closedPort))
                .documentRoot(root).ioThreads(1).build().start();
        HttpResponse<String> response = get("/index.php");
        assertEquals(502, response.statusCode());
        assertEquals("502 Bad Gateway\n", response.body());
        assertEquals("text/plain; charset=utf-8", response.headers().firstValue("Content-Type").orElse(null));
        assertEquals(502, get("/again.php").statusCode(), "and the next one too");
    }

    @Test
    @DisplayName("backend too slow: 504 Gateway Timeout, and the FastCGI request is aborted")
    void backendTooSlow() throws Exception {
        start(b -> b.requestTimeout(Duration.ofMillis(300)));
        HttpResponse<String> response = get("/slow.php");
        assertEquals(504, response.statusCode());
        assertEquals("504 Gateway Timeout\n", response.body());
        Await.until(WAIT, () -> backend.aborted.getCount() == 0, "the backend sees its request aborted");
    }

    @Test
    @DisplayName("a client that stops sending its body: 408, with a Content-Length body or a chunked one")
    void clientTooSlowWithItsBody() throws Exception {
        start(b -> b.requestTimeout(Duration.ofMillis(300)));
        try (RawHttp c = raw()) {
            c.send("POST /up.php HTTP/1.1\nHost: x\nContent-Length: 100\n\nonly ten..");
            RawHttp.Response response = c.read();
            assertEquals(408, response.status());
            assertEquals("close", response.header("Connection"));
        }
        try (RawHttp c = raw()) {
            c.send("POST /up.php HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n");
            c.chunk(new byte[10]);
            assertEquals(408, c.read().status());
        }
    }

    @Test
    @DisplayName("path traversal: '..' segments, encoded or not, are refused with 400 and never reach the backend")
    void pathTraversal() throws Exception {
        start();
        for (String target : List.of("/../etc/passwd", "/a/%2e%2e/%2E%2E/etc/passwd.php", "/a/..%2fb.php",
                "/index.php/../../x", "http://host/../secret.php", "/x%00.php", "/bad%zz.php", "*")) {
            try (RawHttp c = raw()) {
                c.send("GET " + target + " HTTP/1.1\nHost: x\n\n");
                RawHttp.Response response = c.read();
                assertEquals(400, response.status(), target);
                assertEquals("400 Bad Request\n", response.text());
            }
        }
        assertEquals(0, backend.requests.get(), "no request reached the backend");
        try (RawHttp c = raw()) {                       // a body-less 400 keeps the connection
            c.send("GET /../x HTTP/1.1\nHost: x\n\nGET /fine.php HTTP/1.1\nHost: x\n\n");
            assertEquals(400, c.read().status());
            assertEquals(200, c.read().status());
        }
    }

    @Test
    @DisplayName("TRACE: 405, and the connection stays usable (request line and header limits: GatewayLimitsTest)")
    void trace() throws Exception {
        start();
        try (RawHttp c = raw()) {
            c.send("TRACE /x.php HTTP/1.1\nHost: x\n\nGET /y.php HTTP/1.1\nHost: x\n\n");
            assertEquals(405, c.read().status());
            assertEquals(200, c.read().status(), "the connection stays usable");
        }
        assertEquals(1, backend.requests.get());
    }

    @Test
    @DisplayName("Expect: 100-continue gets 100 Continue, then the body is read and forwarded")
    void expectContinue() throws Exception {
        start();
        try (RawHttp c = raw()) {
            c.send("POST /up.php HTTP/1.1\nHost: x\nContent-Length: 11\nExpect: 100-continue\n\n");
            assertEquals(100, c.readHead().status());
            c.send("hello world");
            Map<String, String> vars = EchoBackend.parse(c.read().text());
            assertEquals("11", vars.get("BODY_LENGTH"));
            assertFalse(vars.containsKey("HTTP_EXPECT"));
            c.send("POST /up.php HTTP/1.1\nHost: x\nContent-Length: 2\nExpect: something-else\n\n");
            assertEquals(417, c.read().status());
        }
    }

    @Test
    @DisplayName("client abort before the answer: the backend sees its request aborted")
    void clientAbortBeforeResponse() throws Exception {
        start();
        try (RawHttp c = raw()) {
            c.send("GET /wait.php HTTP/1.1\nHost: x\n\n");
            Await.until(WAIT, () -> backend.requests.get() == 1, "the request reached the backend");
        }
        Await.until(WAIT, () -> backend.aborted.getCount() == 0, "the backend sees the abort");
        Await.until(WAIT, () -> gateway.connectionCount() == 0, "the connection is gone");
    }

    @Test
    @DisplayName("client abort mid-response: the backend sees its request aborted")
    void clientAbortMidResponse() throws Exception {
        start();
        try (RawHttp c = raw()) {
            c.send("GET /stream-until-abort.php HTTP/1.1\nHost: x\n\n");
            assertEquals(200, c.readHead().status());
            assertTrue(c.input().readNBytes(100_000).length == 100_000);
        }
        Await.until(WAIT, () -> backend.aborted.getCount() == 0, "the backend sees the abort");
    }

    @Test
    @DisplayName("stderr from the backend is logged, the response is unaffected")
    void stderrLogged() throws Exception {
        start();
        assertEquals("/stderr.php", echo(get("/stderr.php")).get("SCRIPT_NAME"));
    }

    @Test
    @DisplayName("an idle keep-alive connection is closed after keepAliveTimeout")
    void keepAliveTimeout() throws Exception {
        start(b -> b.keepAliveTimeout(Duration.ofMillis(200)));
        try (RawHttp c = raw()) {
            c.send("GET /one.php HTTP/1.1\nHost: x\n\n");
            assertEquals(200, c.read().status());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    @DisplayName("the builder checks its settings")
    void builderChecks() {
        HttpGateway.Builder builder = HttpGateway.builder();
        assertThrowsIae(() -> builder.splitPathInfo("^(.+\\.php)$"));
        assertThrowsIae(() -> builder.index("a/b.php"));
        assertThrowsIae(() -> builder.frontController("../x.php"));
        assertThrowsIae(() -> builder.maxRequestBodySize(-1));
        assertThrowsIae(() -> builder.requestTimeout(Duration.ZERO));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, builder::build);
    }

    private static void assertThrowsIae(org.junit.jupiter.api.function.Executable call) {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, call);
    }
}
