package dev.fcgi.protocol.server;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * An address or a range of addresses a server accepts connections from: one entry of
 * {@link FcgiServer.Builder#allowedClients(java.util.List)}, of php-fpm's {@code listen.allowed_clients} and of
 * FastCGI's {@code FCGI_WEB_SERVER_ADDRS}. An entry is an IPv4 or IPv6 address ({@code 192.0.2.7}, {@code ::1})
 * or a CIDR range of either ({@code 10.0.0.0/8}, {@code fd00::/8}).
 *
 * <p>Parsing takes literals only, as {@code inet_pton()} does, and never asks DNS. IPv6 entries see an IPv4 client
 * as its IPv4-mapped address ({@code ::ffff:192.0.2.7}), as a dual-stack socket does, so {@code ::/0} covers every
 * client; IPv4 entries see an IPv4-mapped client as its IPv4 address, and no other IPv6 client. Immutable.
 */
public final class AllowedClient {

    private final String text;
    private final byte[] network;
    private final int prefix;

    private AllowedClient(String text, byte[] network, int prefix) {
        this.text = text;
        this.network = network;
        this.prefix = prefix;
    }

    /**
     * Parses an address or a CIDR range, without surrounding spaces.
     *
     * @throws IllegalArgumentException when {@code text} is neither, naming it
     */
    public static AllowedClient parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        byte[] bytes = address.indexOf(':') >= 0 ? ipv6(address) : ipv4(address);
        if (bytes == null) {
            throw invalid(text);
        }
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String digits = text.substring(slash + 1);
            if (digits.isEmpty() || digits.length() > 3 || !isDecimal(digits)) {
                throw invalid(text);
            }
            prefix = Integer.parseInt(digits);
            if (prefix > bits) {
                throw invalid(text);
            }
        }
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] &= maskByte(prefix, i);
        }
        return new AllowedClient(text, bytes, prefix);
    }

    /** Whether {@code client} is this address or inside this range. */
    public boolean matches(InetAddress client) {
        byte[] bytes = client.getAddress();
        if (bytes.length != network.length) {
            bytes = bytes.length == 4 ? mapped(bytes) : unmapped(bytes);
            if (bytes == null) {
                return false;
            }
        }
        for (int i = 0; i < network.length; i++) {
            if ((bytes[i] & maskByte(prefix, i)) != network[i]) {
                return false;
            }
        }
        return true;
    }

    /** The entry as it was parsed. */
    @Override
    public String toString() {
        return text;
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("not an IP address or CIDR range: '" + text + "'");
    }

    /** The bits of byte {@code index} that a prefix of {@code prefix} bits covers. */
    private static byte maskByte(int prefix, int index) {
        int keep = Math.max(0, Math.min(8, prefix - index * 8));
        return (byte) (0xff00 >>> keep);
    }

    private static boolean isDecimal(String s) {
        return s.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** {@code ::ffff:a.b.c.d} for the IPv4 address {@code a.b.c.d}. */
    private static byte[] mapped(byte[] ipv4) {
        byte[] out = new byte[16];
        out[10] = (byte) 0xff;
        out[11] = (byte) 0xff;
        System.arraycopy(ipv4, 0, out, 12, 4);
        return out;
    }

    /** {@code a.b.c.d} for the IPv4-mapped IPv6 address {@code ::ffff:a.b.c.d}, else {@code null}. */
    private static byte[] unmapped(byte[] ipv6) {
        for (int i = 0; i < 10; i++) {
            if (ipv6[i] != 0) {
                return null;
            }
        }
        if (ipv6[10] != (byte) 0xff || ipv6[11] != (byte) 0xff) {
            return null;
        }
        byte[] out = new byte[4];
        System.arraycopy(ipv6, 12, out, 0, 4);
        return out;
    }

    /** A strict dotted quad, as {@code inet_pton(AF_INET)}: four decimal parts 0 to 255, no leading zeros. */
    private static byte[] ipv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0') || !isDecimal(p)) {
                return null;
            }
            int value = Integer.parseInt(p);
            if (value > 255) {
                return null;
            }
            out[i] = (byte) value;
        }
        return out;
    }

    /** An IPv6 literal: hex digits and colons, an optional trailing dotted quad; no zone id, no brackets. */
    private static byte[] ipv6(String s) {
        if (s.charAt(0) == '.' || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
            return null;
        }
        try {
            // Text that starts with a hex digit or ':' and holds a ':' is parsed as a literal or refused;
            // InetAddress never resolves it.
            InetAddress address = InetAddress.getByName(s);
            byte[] bytes = address.getAddress();
            // InetAddress folds ::ffff:a.b.c.d to IPv4; keep the entry IPv6, as written.
            return address instanceof Inet6Address ? bytes : mapped(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
