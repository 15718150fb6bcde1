package dev.fcgi.protocol.testing;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 in lower-case hex, as the echo example reports it. */
public final class Sha256 {

    private Sha256() {
    }

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(newDigest().digest(bytes));
    }

    public static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Reads {@code in} to its end and returns the digest of what it read. */
    public static String hex(InputStream in) throws IOException {
        MessageDigest digest = newDigest();
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            digest.update(buffer, 0, n);
        }
        return hex(digest);
    }

    /** The digest of {@code count} bytes where byte i is {@code i % modulus} (the echo example's ECHO_BYTES body). */
    public static String ofPattern(long count, int modulus) {
        MessageDigest digest = newDigest();
        byte[] block = new byte[modulus * 256];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i % modulus);
        }
        long left = count;
        while (left > 0) {
            int n = (int) Math.min(left, block.length);
            digest.update(block, 0, n);
            left -= n;
        }
        return hex(digest);
    }
}
