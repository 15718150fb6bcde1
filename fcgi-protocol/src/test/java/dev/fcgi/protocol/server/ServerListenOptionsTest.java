package dev.fcgi.protocol.server;

import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * php-fpm's {@code listen.*} options on the server: {@code listen.allowed_clients} with addresses and CIDR ranges,
 * checked at accept.
 */
class ServerListenOptionsTest {

    private static final FcgiHandler HELLO = (request, response) ->
            response.body().write(("hello " + request.param("NAME")).getBytes(UTF_8));

    private static FcgiServer start(String listen, String... allowedClients) throws Exception {
        return FcgiServer.builder().handler(HELLO).listen(listen).allowedClients(List.of(allowedClients))
                .build().start();
    }

    private static void assertServed(SocketAddress server, String from) throws Exception {
        try (RawFcgiConnection conn = RawFcgiConnection.connect(server, InetAddress.getByName(from))) {
            conn.request(1, true, Map.of("NAME", from), new byte[0]);
            assertEquals("hello " + from, conn.readResponse(1).body());
        }
    }

    private static void assertRefused(SocketAddress server, String from) throws Exception {
        try (RawFcgiConnection conn = RawFcgiConnection.connect(server, InetAddress.getByName(from))) {
            assertTrue(conn.awaitClosed(), "closed at accept, before any record");
        }
    }

    @Test
    @DisplayName("listen.allowed_clients: a /32 admits its one address, a range its addresses, over IPv4")
    void ipv4AddressesAndRanges() throws Exception {
        try (FcgiServer server = start("127.0.0.1:0", "127.0.0.2/32")) {
            assertRefused(server.localAddress(), "127.0.0.1");
            assertServed(server.localAddress(), "127.0.0.2");
        }
        try (FcgiServer server = start("127.0.0.1:0", "192.0.2.0/24", "127.0.0.0/31")) {
            assertServed(server.localAddress(), "127.0.0.1");
            assertRefused(server.localAddress(), "127.0.0.2");
        }
    }

    @Test
    @DisplayName("listen.allowed_clients over IPv6: ::1 against an address, ranges, and IPv4 entries")
    void ipv6AddressesAndRanges() throws Exception {
        assumeTrue(hasIpv6Loopback(), "no IPv6 loopback");
        try (FcgiServer server = start("[::1]:0", "::1")) {
            assertServed(server.localAddress(), "::1");
        }
        try (FcgiServer server = start("[::1]:0", "::/127")) {
            assertServed(server.localAddress(), "::1");
        }
        try (FcgiServer server = start("[::1]:0", "fd00::/8", "::2/128")) {
            assertRefused(server.localAddress(), "::1");
        }
        try (FcgiServer server = start("[::1]:0", "127.0.0.0/8", "0.0.0.0/0")) {
            assertRefused(server.localAddress(), "::1");
        }
    }

    @Test
    @DisplayName("allowedClients refuses host names and malformed entries when set, naming the entry")
    void badEntriesAreRefusedWhenSet() {
        for (String bad : List.of("localhost", "10.0.0.0/33", "::1/129", "010.0.0.1", "[::1]", "any")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FcgiServer.builder().allowedClients(List.of("127.0.0.1", " " + bad + " ")));
            assertEquals("allowedClients: '" + bad + "' (expected: an IP address or a CIDR range)", e.getMessage());
        }
    }

    @Test
    @DisplayName("blank entries are ignored: a list of only blanks admits any client")
    void blankEntriesAreIgnored() throws Exception {
        try (FcgiServer server = start("127.0.0.1:0", " 127.0.0.2 ", "")) {
            assertRefused(server.localAddress(), "127.0.0.1");
            assertServed(server.localAddress(), "127.0.0.2");
        }
        try (FcgiServer server = start("127.0.0.1:0", " ")) {
            assertServed(server.localAddress(), "127.0.0.3");
        }
    }

    private static boolean hasIpv6Loopback() {
        try {
            return NetworkInterface.getByInetAddress(InetAddress.getByName("::1")) != null;
        } catch (Exception e) {
            return false;
        }
    }
}
