package dev.fcgi.protocol.server;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.Inet6Address;
import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Addresses and CIDR ranges of {@code listen.allowed_clients} / {@code FCGI_WEB_SERVER_ADDRS}: parsed as literals,
 * matched bit by bit.
 */
class AllowedClientTest {

    private static boolean matches(String entry, String client) throws Exception {
        return AllowedClient.parse(entry).matches(InetAddress.getByName(client));
    }

    @ParameterizedTest(name = "{0} matches {1}: {2}")
    @CsvSource({
            "127.0.0.1, 127.0.0.1, true",
            "127.0.0.1, 127.0.0.2, false",
            "10.0.0.0/8, 10.255.3.4, true",
            "10.0.0.0/8, 11.0.0.1, false",
            "192.168.1.1/24, 192.168.1.200, true",
            "192.168.1.1/24, 192.168.2.1, false",
            "172.16.0.0/12, 172.31.255.255, true",
            "172.16.0.0/12, 172.32.0.0, false",
            "127.0.0.2/32, 127.0.0.2, true",
            "127.0.0.2/32, 127.0.0.1, false",
            "0.0.0.0/0, 203.0.113.9, true",
            "::1, ::1, true",
            "::1, ::2, false",
            "fd00::/8, fdab::17, true",
            "fd00::/8, fe80::1, false",
            "2001:db8::/33, 2001:db8:7fff::1, true",
            "2001:db8::/33, 2001:db8:8000::1, false",
            "::/0, 2001:db8::1, true",
            "fd00::/8, 10.0.0.1, false",
            "0.0.0.0/0, ::1, false",
            "10.1.2.3, ::a01:203, false",
    })
    void matchesAddressesAndRanges(String entry, String client, boolean expected) throws Exception {
        assertEquals(expected, matches(entry, client));
    }

    @Test
    @DisplayName("IPv6 entries see IPv4 clients as IPv4-mapped; IPv4 entries see IPv4-mapped clients as IPv4")
    void ipv4MappedAddresses() throws Exception {
        assertTrue(matches("::ffff:10.1.2.3", "10.1.2.3"));
        assertTrue(matches("::/0", "203.0.113.9"));
        assertTrue(matches("::ffff:0:0/96", "203.0.113.9"));
        assertTrue(matches("::ffff:10.0.0.0/104", "10.200.0.1"));
        assertFalse(matches("::ffff:10.0.0.0/104", "11.0.0.1"));
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 1, 2, 3};
        InetAddress client = Inet6Address.getByAddress(null, mapped, -1);
        assertInstanceOf(Inet6Address.class, client);
        assertTrue(AllowedClient.parse("10.0.0.0/8").matches(client));
        assertFalse(AllowedClient.parse("11.0.0.0/8").matches(client));
    }

    @Test
    @DisplayName("toString gives the entry as written")
    void toStringIsTheEntry() {
        assertEquals("192.168.1.1/24", AllowedClient.parse("192.168.1.1/24").toString());
        assertEquals("::ffff:10.1.2.3", AllowedClient.parse("::ffff:10.1.2.3").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "any", "localhost", "256.0.0.1", "10.0.0", "10.0.0.1.2", "010.0.0.1", "10.0.0.0/33",
            "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "::1/129", "1::2::3", "fe80::1%eth0", "[::1]", "gg::1",
            "*", ".::1", "10.0.0.0/ 8", " 10.0.0.1", "example.com:80", "1.2.3.4:80"})
    void rejectsAnythingButLiteralsAndRanges(String entry) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AllowedClient.parse(entry));
        assertEquals("not an IP address or CIDR range: '" + entry + "'", e.getMessage());
    }
}
