package dev.fcgi.protocol;

/**
 * FCGI_UNKNOWN_TYPE: the application's answer to a management record whose type it does not know.
 * <pre>
 * typedef struct {
 *     unsigned char type;              // the type that was not understood
 *     unsigned char reserved[7];
 * } FCGI_UnknownTypeBody;
 * </pre>
 *
 * @param requestId 0 for a valid answer
 * @param type      the record type that was not understood, 0 to 255
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S4.2">FastCGI 1.0, section 4.2</a>
 */
public record FcgiUnknownType(int requestId, int type) implements FcgiRecord {

    /** Checks the ranges of the fields. */
    public FcgiUnknownType {
        FcgiCodecUtil.checkRange("requestId", requestId, 0, 0xFFFF);
        FcgiCodecUtil.checkRange("type", type, 0, 0xFF);
    }
}
