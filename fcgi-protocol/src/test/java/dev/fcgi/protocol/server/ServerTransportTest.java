package dev.fcgi.protocol.server;

import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Listening on IPv4, IPv6 and Unix domain sockets, with the native transport and with NIO, and the address
 * syntax of php-fpm's {@code listen}.
 */
class ServerTransportTest {

    private static final FcgiHandler HELLO = (request, response) ->
            response.body().write(("hello " + request.param("NAME")).getBytes(UTF_8));

    private static void roundTrip(SocketAddress address) throws Exception {
        try (RawFcgiConnection conn = RawFcgiConnection.connect(address)) {
            conn.request(1, true, Map.of("NAME", "there"), new byte[0]);
            assertEquals("hello there", conn.readResponse(1).body());
        }
    }

    @Test
    @DisplayName("spec 44: TCP on IPv4 and IPv6, and a Unix domain socket, on the default transport")
    void defaultTransport(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("app.sock");
        FcgiServer.Builder builder = FcgiServer.builder().handler(HELLO).listen("127.0.0.1:0").listen("unix:" + socket);
        boolean ipv6 = hasIpv6Loopback();
        if (ipv6) {
            builder.listen("[::1]:0");
        }
        try (FcgiServer server = builder.build().start()) {
            List<SocketAddress> addresses = server.localAddresses();
            assertEquals(ipv6 ? 3 : 2, addresses.size());
            roundTrip(addresses.get(0));
            assertEquals(UnixDomainSocketAddress.of(socket), addresses.get(1));
            roundTrip(addresses.get(1));
            if (ipv6) {
                assertInstanceOf(Inet6Address.class, ((InetSocketAddress) addresses.get(2)).getAddress());
                roundTrip(addresses.get(2));
            }
        }
        assertFalse(Files.exists(socket), "the socket file is removed on close");
    }

    @Test
    @DisplayName("the NIO transport serves TCP and Unix domain sockets too")
    void nioTransport(@TempDir Path dir) throws Exception {
        EventLoopGroup nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (FcgiServer server = FcgiServer.builder().handler(HELLO).eventLoopGroup(nio)
                .listen("127.0.0.1:0").listen(dir.resolve("nio.sock").toString()).build().start()) {
            roundTrip(server.localAddresses().get(0));
            roundTrip(server.localAddresses().get(1));
        } finally {
            nio.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }

    @Test
    @DisplayName("a stale socket file from an earlier run is replaced; a regular file in the way is an error")
    void staleSocket(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("stale.sock");
        try (FcgiServer first = FcgiServer.builder().handler(HELLO).listen(UnixDomainSocketAddress.of(socket))
                .build().start()) {
            // Simulate a crash: the file stays behind while a second server starts.
            try (FcgiServer second = FcgiServer.builder().handler(HELLO).listen(UnixDomainSocketAddress.of(socket))
                    .build().start()) {
                roundTrip(UnixDomainSocketAddress.of(socket));
            }
        }
        Path regular = dir.resolve("regular");
        Files.writeString(regular, "not a socket");
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> FcgiServer.builder().handler(HELLO)
                .listen(UnixDomainSocketAddress.of(regular)).build().start());
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
    }

    @Test
    @DisplayName("spec 44: FCGI_WEB_SERVER_ADDRS / allowed clients: other peers are closed at accept")
    void allowedClients() throws Exception {
        try (FcgiServer server = FcgiServer.builder().handler(HELLO).listen("127.0.0.1:0")
                .allowedClients(List.of("192.0.2.1")).build().start();
             RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            assertTrue(conn.awaitClosed(), "closed at accept, before any record");
        }
        try (FcgiServer server = FcgiServer.builder().handler(HELLO).listen("127.0.0.1:0")
                .allowedClients(List.of("192.0.2.1", "127.0.0.1")).build().start()) {
            roundTrip(server.localAddress());
        }
    }

    @Test
    @DisplayName("listen addresses in php-fpm's syntax")
    void parseAddress() {
        assertEquals(new InetSocketAddress("127.0.0.1", 9000), FcgiTransport.parseAddress("127.0.0.1:9000"));
        assertEquals(new InetSocketAddress("::1", 9000), FcgiTransport.parseAddress("[::1]:9000"));
        assertEquals(new InetSocketAddress(9000), FcgiTransport.parseAddress("9000"));
        assertEquals(UnixDomainSocketAddress.of("/run/php.sock"), FcgiTransport.parseAddress("/run/php.sock"));
        assertEquals(UnixDomainSocketAddress.of("/run/php.sock"), FcgiTransport.parseAddress("unix:/run/php.sock"));
        assertThrows(IllegalArgumentException.class, () -> FcgiTransport.parseAddress("localhost:http"));
        assertThrows(IllegalArgumentException.class, () -> FcgiTransport.parseAddress("1.2.3.4:70000"));
        assertEquals("[0:0:0:0:0:0:0:1]:9000", FcgiTransport.formatAddress(new InetSocketAddress("::1", 9000)));
    }

    @Test
    @DisplayName("builder checks: limits out of range and missing settings fail with the setting's name")
    void builderChecks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FcgiServer.builder().maxRequestsPerConnection(0));
        assertEquals("maxRequestsPerConnection: 0 (expected: 1 to 65535)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FcgiServer.builder().headerTimeout(java.time.Duration.ZERO));
        assertEquals("listenBacklog: 0 (expected: 1 to 65535)", assertThrows(IllegalArgumentException.class,
                () -> FcgiServer.builder().listenBacklog(0)).getMessage());
        assertEquals("high: -1 (expected: 1 to 1073741824)", assertThrows(IllegalArgumentException.class,
                () -> FcgiServer.builder().writeBufferWaterMark(0, -1)).getMessage());
        java.nio.file.Path file = java.nio.file.Path.of("pom.xml").toAbsolutePath();
        assertEquals("spoolDirectory: " + file + " (is not a directory)", assertThrows(IllegalArgumentException.class,
                () -> FcgiServer.builder().spoolDirectory(file)).getMessage());
        assertEquals("handler not set", assertThrows(IllegalStateException.class,
                () -> FcgiServer.builder().listen("9000").build()).getMessage());
        assertEquals("no listen address set", assertThrows(IllegalStateException.class,
                () -> FcgiServer.builder().handler(HELLO).build()).getMessage());
    }

    private static boolean hasIpv6Loopback() {
        try {
            return NetworkInterface.getByInetAddress(InetAddress.getByName("::1")) != null;
        } catch (Exception e) {
            return false;
        }
    }
}
