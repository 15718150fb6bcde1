package dev.fcgi.protocol;

/**
 * The protocol status of an END_REQUEST record: how the application ended a request.
 *
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S5.5">FastCGI 1.0, section 5.5</a>
 */
public enum FcgiProtocolStatus {
    /** The request ran to completion (also the answer to an aborted request). */
    REQUEST_COMPLETE(0),
    /** Refused: the application does not multiplex, and the connection already has a request. */
    CANT_MPX_CONN(1),
    /** Refused: the application is out of a resource, for example a concurrency limit. */
    OVERLOADED(2),
    /** Refused: the application does not play the requested role. */
    UNKNOWN_ROLE(3);

    private final int code;

    FcgiProtocolStatus(int code) {
        this.code = code;
    }

    /** The wire code, 0 to 3. */
    public int code() {
        return code;
    }

    /** The status with the given wire code, or {@code null} for a code FastCGI 1.0 does not define. */
    public static FcgiProtocolStatus of(int code) {
        return switch (code) {
            case 0 -> REQUEST_COMPLETE;
            case 1 -> CANT_MPX_CONN;
            case 2 -> OVERLOADED;
            case 3 -> UNKNOWN_ROLE;
            default -> null;
        };
    }
}
