package dev.fcgi.protocol;

/**
 * FCGI_BEGIN_REQUEST: starts request {@code requestId}.
 * <pre>
 * typedef struct {
 *     unsigned char roleB1, roleB0;    // FcgiRole
 *     unsigned char flags;             // FCGI_KEEP_CONN = 1
 *     unsigned char reserved[5];
 * } FCGI_BeginRequestBody;
 * </pre>
 *
 * @param requestId the id, 1 to 65535
 * @param roleCode  the role's wire code, kept as received so that an unknown role can be refused
 * @param flags     the flags byte
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S5.1">FastCGI 1.0, section 5.1</a>
 */
public record FcgiBeginRequest(int requestId, int roleCode, int flags) implements FcgiRecord {

    /** The flag asking the application to keep the connection open after the request. */
    public static final int FLAG_KEEP_CONN = 1;

    /** Checks the ranges of the fields. */
    public FcgiBeginRequest {
        FcgiCodecUtil.checkRequestId(requestId);
        FcgiCodecUtil.checkRange("roleCode", roleCode, 0, 0xFFFF);
        FcgiCodecUtil.checkRange("flags", flags, 0, 0xFF);
    }

    /** A BEGIN_REQUEST for a known role. */
    public FcgiBeginRequest(int requestId, FcgiRole role, boolean keepConn) {
        this(requestId, role.code(), keepConn ? FLAG_KEEP_CONN : 0);
    }

    /** The role, or {@code null} when the role code is not one FastCGI 1.0 defines. */
    public FcgiRole role() {
        return FcgiRole.of(roleCode);
    }

    /** Whether the web server asked to keep the connection open after this request. */
    public boolean keepConn() {
        return (flags & FLAG_KEEP_CONN) != 0;
    }
}
