package dev.fcgi.protocol;

/**
 * The roles an application plays for a request, as named in BEGIN_REQUEST.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S6">FastCGI 1.0, section 6</a>
 */
public enum FcgiRole {
    /** Receives the HTTP request and produces the response (CGI/1.1). */
    RESPONDER(1),
    /** Decides whether a request is allowed; a 200 answer authorizes it. */
    AUTHORIZER(2),
    /** Like a responder, plus a data file to filter on the DATA stream. */
    FILTER(3);

    private final int code;

    FcgiRole(int code) {
        this.code = code;
    }

    /** The wire code, 1 to 3. */
    public int code() {
        return code;
    }

    /** The role with the given wire code, or {@code null} for a role FastCGI 1.0 does not define. */
    public static FcgiRole of(int code) {
        return switch (code) {
            case 1 -> RESPONDER;
            case 2 -> AUTHORIZER;
            case 3 -> FILTER;
            default -> null;
        };
    }
}
