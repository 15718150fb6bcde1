package dev.fcgi.pool;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * One {@code listen.allowed_clients} entry: an IPv4 or IPv6 address, or a CIDR range of either ({@code 10.0.0.0/8},
 * {@code fd00::/8}). Parsing never touches DNS: only literals are accepted, like FPM's {@code inet_pton()}.
 */
final class AllowedClient {
    private final String text;
    private final byte[] network;
    private final int prefix;

    private AllowedClient(String text, byte[] network, int prefix) {
        this.text = text;
        this.network = network;
        this.prefix = prefix;
    }

    /** Parses {@code entry} (already trimmed), or returns {@code null} if it is not an address or a CIDR range. */
    static AllowedClient parse(String entry) {
        int slash = entry.indexOf('/');
        String address = slash < 0 ? entry : entry.substring(0, slash);
        byte[] bytes = address.indexOf(':') >= 0 ? ipv6(address) : ipv4(address);
        if (bytes == null) {
            return null;
        }
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = entry.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            prefix = Integer.parseInt(p);
            if (prefix > bits) {
                return null;
            }
        }
        return new AllowedClient(entry, mask(bytes, prefix), prefix);
    }

    /** Whether {@code client} is this address or inside this range. IPv4 and IPv6 entries never match each other. */
    boolean matches(InetAddress client) {
        byte[] bytes = client.getAddress();
        if (bytes.length == 4 && network.length == 16) {    // an IPv4 peer against an ::ffff:a.b.c.d entry
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(bytes, 0, mapped, 12, 4);
            bytes = mapped;
        }
        return bytes.length == network.length && Arrays.equals(mask(bytes, prefix), network);
    }

    @Override
    public String toString() {
        return text;
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (0xff00 >>> keep);
        }
        return out;
    }

    /** Strict dotted quad as {@code inet_pton(AF_INET)}: four decimal parts 0..255, no leading zeros. */
    private static byte[] ipv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')
                    || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            out[i] = (byte) v;
        }
        return out;
    }

    /** An IPv6 literal (hex digits, colons, an optional trailing dotted quad); no zone ids, no brackets. */
    private static byte[] ipv6(String s) {
        if (!s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
            return null;
        }
        try {
            InetAddress a = InetAddress.getByName(s);       // a literal with ':' is parsed, never resolved
            byte[] bytes = a.getAddress();
            if (!(a instanceof Inet6Address)) {             // Java folds ::ffff:a.b.c.d to IPv4; keep it as given
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(bytes, 0, mapped, 12, 4);
                return mapped;
            }
            return bytes;
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
