package dev.fcgi.protocol.server;

import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * php-fpm's {@code listen.*} options on the server: {@code listen.allowed_clients} with addresses and CIDR ranges,
 * checked at accept, and {@code listen.owner}, {@code listen.group} and {@code listen.mode} on Unix socket files.
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

    @ParameterizedTest(name = "mode {0}: {1}")
    @CsvSource({"0600, rw-------", "0660, rw-rw----", "0666, rw-rw-rw-", "0, ---------"})
    @DisplayName("listen.mode: the socket file has the mode set, on every Unix socket, and the server accepts")
    void mode(String mode, String permissions, @TempDir Path dir) throws Exception {
        Path first = dir.resolve("first.sock");
        Path second = dir.resolve("second.sock");
        try (FcgiServer server = FcgiServer.builder().handler(HELLO).listen("unix:" + first)
                .listen("unix:" + second).unixSocketMode(Integer.parseInt(mode, 8)).build().start()) {
            assertEquals(permissions, PosixFilePermissions.toString(Files.getPosixFilePermissions(first)));
            assertEquals(permissions, PosixFilePermissions.toString(Files.getPosixFilePermissions(second)));
            if (isRoot() || permissions.charAt(1) == 'w') {
                assertServed(UnixDomainSocketAddress.of(second));
            }
        }
    }

    @Test
    @DisplayName("without listen.owner, listen.group and listen.mode the socket file is left as bind(2) created it")
    void defaultLeavesTheFileAsCreated(@TempDir Path dir) throws Exception {
        Path plain = dir.resolve("plain.sock");
        try (ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.bind(UnixDomainSocketAddress.of(plain));
        }
        Path socket = dir.resolve("app.sock");
        try (FcgiServer server = FcgiServer.builder().handler(HELLO).listen("unix:" + socket).build().start()) {
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(socket));
            assertEquals(attributes(plain).owner(), attributes(socket).owner());
            assertEquals(attributes(plain).group(), attributes(socket).group());
        }
    }

    @Test
    @DisplayName("listen.owner and listen.group: the current user and its primary group, by name and by number")
    void ownerAndGroupOfTheCurrentUser(@TempDir Path dir) throws Exception {
        Path file = Files.createFile(dir.resolve("file"));
        String user = attributes(file).owner().getName();
        String group = attributes(file).group().getName();
        int uid = (int) Files.getAttribute(file, "unix:uid");
        int gid = (int) Files.getAttribute(file, "unix:gid");
        Path byName = dir.resolve("by-name.sock");
        Path byNumber = dir.resolve("by-number.sock");
        try (FcgiServer server = FcgiServer.builder().handler(HELLO).unixSocketOwner(user).unixSocketGroup(group)
                .unixSocketMode(0660).listen("unix:" + byName).build().start();
             FcgiServer numeric = FcgiServer.builder().handler(HELLO).unixSocketOwner(Integer.toString(uid))
                     .unixSocketGroup(Integer.toString(gid)).listen("unix:" + byNumber).build().start()) {
            for (Path socket : List.of(byName, byNumber)) {
                assertEquals(user, attributes(socket).owner().getName());
                assertEquals(group, attributes(socket).group().getName());
            }
            assertEquals("rw-rw----", PosixFilePermissions.toString(attributes(byName).permissions()));
            assertServed(UnixDomainSocketAddress.of(byName));
        }
    }

    @Test
    @DisplayName("listen.group: another group the user is in, without root")
    void supplementaryGroup(@TempDir Path dir) throws Exception {
        Path file = Files.createFile(dir.resolve("file"));
        int primary = (int) Files.getAttribute(file, "unix:gid");
        String other = supplementaryGroups().stream().filter(gid -> !gid.equals(Integer.toString(primary)))
                .findFirst().orElse(null);
        assumeTrue(other != null, "the user is in no group but its primary one");
        Path socket = dir.resolve("app.sock");
        try (FcgiServer server = FcgiServer.builder().handler(HELLO).unixSocketGroup(other)
                .listen("unix:" + socket).build().start()) {
            assertEquals(Integer.parseInt(other), (int) Files.getAttribute(socket, "unix:gid"));
        }
    }

    @Test
    @DisplayName("without root, a group the user is not in fails start(), which removes the socket file")
    void groupTheUserIsNotIn(@TempDir Path dir) throws Exception {
        assumeFalse(isRoot(), "root may give a file any group");
        Path file = Files.createFile(dir.resolve("file"));
        assumeFalse((int) Files.getAttribute(file, "unix:gid") == 0 || supplementaryGroups().contains("0"),
                "the user is in group 0");
        Path socket = dir.resolve("app.sock");
        IOException e = assertThrows(IOException.class, () -> FcgiServer.builder().handler(HELLO)
                .unixSocketGroup("0").listen("unix:" + socket).build().start());
        assertTrue(e.getMessage().startsWith("cannot set the group of " + socket + " to "), e.getMessage());
        assertTrue(e.getMessage().endsWith(": Operation not permitted"), e.getMessage());
        assertFalse(Files.exists(socket), "the socket file is removed");
    }

    @Test
    @DisplayName("as root, listen.owner and listen.group give the socket file to another user and group")
    void rootGivesTheFileAway(@TempDir Path dir) throws Exception {
        assumeTrue(isRoot(), "not root");
        Path socket = dir.resolve("app.sock");
        try (FcgiServer server = FcgiServer.builder().handler(HELLO).unixSocketOwner("nobody")
                .unixSocketGroup("65534").unixSocketMode(0600).listen("unix:" + socket).build().start()) {
            assertEquals("nobody", attributes(socket).owner().getName());
            assertEquals(65534, (int) Files.getAttribute(socket, "unix:gid"));
            assertEquals("rw-------", PosixFilePermissions.toString(attributes(socket).permissions()));
        }
        assertFalse(Files.exists(socket), "the socket file is removed on close");
    }

    @Test
    @DisplayName("an unknown listen.owner or listen.group fails start() before anything is bound")
    void unknownUserOrGroup(@TempDir Path dir) {
        Path socket = dir.resolve("app.sock");
        IOException owner = assertThrows(IOException.class, () -> FcgiServer.builder().handler(HELLO)
                .unixSocketOwner("no-such-user-fcgi").listen("unix:" + socket).build().start());
        assertEquals("unixSocketOwner: no such user 'no-such-user-fcgi'", owner.getMessage());
        IOException group = assertThrows(IOException.class, () -> FcgiServer.builder().handler(HELLO)
                .unixSocketGroup("no-such-group-fcgi").listen("unix:" + socket).build().start());
        assertEquals("unixSocketGroup: no such group 'no-such-group-fcgi'", group.getMessage());
        assertFalse(Files.exists(socket));
    }

    @Test
    @DisplayName("a mode outside 0 to 0777 and a blank user or group are refused when set")
    void badSettings() {
        assertEquals("unixSocketMode: 01000 (expected: 0 to 0777)", assertThrows(IllegalArgumentException.class,
                () -> FcgiServer.builder().unixSocketMode(01000)).getMessage());
        assertEquals("unixSocketMode: -1 (expected: 0 to 0777)", assertThrows(IllegalArgumentException.class,
                () -> FcgiServer.builder().unixSocketMode(-1)).getMessage());
        assertEquals("unixSocketOwner: ' ' (expected: a user name or uid)", assertThrows(
                IllegalArgumentException.class, () -> FcgiServer.builder().unixSocketOwner(" ")).getMessage());
        assertEquals("unixSocketGroup: '' (expected: a group name or gid)", assertThrows(
                IllegalArgumentException.class, () -> FcgiServer.builder().unixSocketGroup("")).getMessage());
    }

    private static void assertServed(SocketAddress server) throws Exception {
        try (RawFcgiConnection conn = RawFcgiConnection.connect(server)) {
            conn.request(1, true, Map.of("NAME", "unix"), new byte[0]);
            assertEquals("hello unix", conn.readResponse(1).body());
        }
    }

    private static PosixFileAttributes attributes(Path file) throws IOException {
        return Files.readAttributes(file, PosixFileAttributes.class);
    }

    private static boolean isRoot() throws IOException {
        return (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
    }

    /** This process's supplementary group ids, from the {@code Groups:} line of /proc/self/status. */
    private static List<String> supplementaryGroups() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Groups:")) {
                String ids = line.substring("Groups:".length()).strip();
                return ids.isEmpty() ? List.of() : List.of(ids.split("\\s+"));
            }
        }
        return List.of();
    }

    private static boolean hasIpv6Loopback() {
        try {
            return NetworkInterface.getByInetAddress(InetAddress.getByName("::1")) != null;
        } catch (Exception e) {
            return false;
        }
    }
}
