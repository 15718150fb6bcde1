package dev.fcgi.protocol;

/**
 * A record whose type code FastCGI 1.0 does not define. The decoder skips its content and hands it on, so that the
 * application can answer a management record of that type with {@link FcgiUnknownType}.
 *
 * @param requestId the id from the header
 * @param type      the type code from the header, 0 or 12 to 255
 */
public record FcgiUnrecognizedRecord(int requestId, int type) implements FcgiRecord {
}
