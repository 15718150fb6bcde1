package dev.fcgi.benchmarks.load;

import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.server.FcgiServer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs fcgi-load against an in-process {@link FcgiServer}, over TCP and a Unix socket. */
@Timeout(60)
class FcgiLoadTest {

    private static final byte[] HELLO = "Hello, load!\n".getBytes(StandardCharsets.UTF_8);
    /** Four times the client's response buffer: the body streams, and is drained as it comes. */
    private static final byte[] BIG = new byte[1024 * 1024];
    private static final byte[] WARNING = "PHP Warning: a warning\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final CountingGroup serverGroup = new CountingGroup();
    private final Set<Boolean> keepConnSeen = ConcurrentHashMap.newKeySet();
    private final AtomicInteger bodiesRead = new AtomicInteger();
    private FcgiServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Test
    void keptConnectionsOverTcp() throws Exception {
        String address = start("127.0.0.1:0");
        LoadReport report = run("-n", "400", "-c", "8", "-t", "2", "--uri", "/hello?x=1", address);

        assertEquals(400, report.responses());
        assertEquals(0, report.inFlight(), "-n ends when the last response is in");
        assertEquals(400, report.statusClass(2));
        assertEquals(0, report.errors());
        assertEquals(400L * HELLO.length, report.bodyBytes());
        assertEquals(Set.of(true), keepConnSeen);
        int accepted = serverGroup.accepted.get();
        assertTrue(accepted >= 2 && accepted <= 8 + 1, "connections: " + accepted + " (the probe's, and 1 to 8)");
    }

    @Test
    void aConnectionPerRequestWithoutKeepConnOverAUnixSocket() throws Exception {
        String address = start("unix:" + dir.resolve("load.sock"));
        LoadReport report = run("-n", "300", "-c", "4", "--keep-conn", "off", address);

        assertEquals(300, report.responses());
        assertEquals(300, report.statusClass(2));
        assertEquals(0, report.errors());
        assertEquals(Set.of(false), keepConnSeen);
        assertEquals(300 + 1, serverGroup.accepted.get(), "one connection per request, and the probe's");
    }

    @Test
    void aMixOfStatusesBodiesAndStderr() throws Exception {
        String address = start("127.0.0.1:0");
        Path mix = Files.writeString(dir.resolve("mix.txt"), """
                # weight method uri body-size
                2 GET  /hello
                1 GET  /missing
                1 POST /upload 3k
                1 GET  /warn
                """);
        LoadReport report = run("-n", "500", "-c", "6", "--mix", mix.toString(), "--multiplex", "4", address);

        assertEquals(500, report.responses());
        assertEquals(0, report.errors());
        long[] kinds = {report.kindCount(0), report.kindCount(1), report.kindCount(2), report.kindCount(3)};
        assertEquals(500, kinds[0] + kinds[1] + kinds[2] + kinds[3]);
        assertEquals(kinds[1], report.statusClass(4));
        assertEquals(kinds[0] + kinds[2] + kinds[3], report.statusClass(2));
        assertEquals(kinds[3], report.stderrResponses());
        assertEquals(kinds[2], bodiesRead.get());
        assertEquals(4, report.run().multiplex(), "FcgiServer answers FCGI_MPXS_CONNS=1");
    }

    @Test
    void largeBodiesStream() throws Exception {
        String address = start("127.0.0.1:0");
        LoadReport report = run("-n", "40", "-c", "4", "--uri", "/big", address);

        assertEquals(40, report.responses());
        assertEquals(0, report.errors());
        assertEquals(40L * BIG.length, report.bodyBytes());
    }

    @Test
    void jsonOnTheCommandLine() throws Exception {
        String address = start("127.0.0.1:0");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = FcgiLoad.run(new String[] {"-n", "200", "-c", "2", "-R", "100000", "--json", address},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

        String json = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        assertTrue(json.startsWith("{\"target\":\"" + address + "\",\"connections\":2,"), json);
        assertTrue(json.contains("\"rate\":100000.000,"), json);
        assertTrue(json.contains("\"responses\":200,\"errors_total\":0,\"in_flight_at_end\":0,"), json);
        assertTrue(json.contains("\"2xx\":200,"), json);
        assertEquals(1, json.lines().count());
    }

    @Test
    void anUnreachableBackendExitsWithOne() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = FcgiLoad.run(new String[] {"-n", "10", "unix:" + dir.resolve("nobody.sock")},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertEquals(1, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("fcgi-load: cannot reach the backend at unix:"
                + dir.resolve("nobody.sock") + ": "), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aUsageErrorExitsWithTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = FcgiLoad.run(new String[] {"-c", "none", "127.0.0.1:9000"},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertEquals(2, status);
        assertEquals("fcgi-load: -c/--connections: 'none' (expected: an integer from 1 to 10000)\n"
                + "usage: java -jar fcgi-load.jar [options] ADDRESS (-h for help)\n",
                err.toString(StandardCharsets.UTF_8));
    }

    private String start(String listen) throws IOException {
        server = FcgiServer.builder()
                .listen(listen)
                .eventLoopGroup(serverGroup)
                .handler((request, response) -> {
                    keepConnSeen.add(request.keepConn());
                    byte[] body = request.body().readAllBytes();
                    if (body.length > 0) {
                        bodiesRead.incrementAndGet();
                    }
                    switch (request.documentUri()) {
                        case "/big" -> {
                            response.body().write(BIG);
                            return;
                        }
                        case "/missing" -> response.status(404);
                        case "/warn" -> response.stderr().write(WARNING);
                        default -> { }
                    }
                    response.contentType("text/plain");
                    response.body().write(HELLO);
                })
                .build()
                .start();
        return server.localAddress() instanceof InetSocketAddress inet
                ? "127.0.0.1:" + inet.getPort() : FcgiTransport.formatAddress(server.localAddress());
    }

    private static LoadReport run(String... args) throws Exception {
        LoadOptions options = LoadOptions.parse(args);
        List<EventLoopGroup> threads = LoadGenerator.newThreads(options.threads());
        try {
            BackendInfo backend = BackendInfo.probe(options.address(), threads.get(0), options.timeout());
            try (LoadGenerator generator = new LoadGenerator(options, backend, threads)) {
                return generator.run();
            }
        } finally {
            LoadGenerator.shutdown(threads);
        }
    }

    /** The server's event loops, counting the connections they accept. */
    private static final class CountingGroup extends MultiThreadIoEventLoopGroup {

        final AtomicInteger accepted = new AtomicInteger();

        CountingGroup() {
            super(2, FcgiTransport.isEpollAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        }

        @Override
        public ChannelFuture register(Channel channel) {
            if (!(channel instanceof ServerChannel)) {
                accepted.incrementAndGet();
            }
            return super.register(channel);
        }
    }
}
