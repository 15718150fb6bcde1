package dev.fcgi.protocol;

/**
 * Argument checks shared by the record types.
 */
final class FcgiCodecUtil {

    private FcgiCodecUtil() {
    }

    static void checkRequestId(int requestId) {
        checkRange("requestId", requestId, 1, FcgiConstants.MAX_REQUEST_ID);
    }

    static void checkRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + " to " + max + ')');
        }
    }
}
