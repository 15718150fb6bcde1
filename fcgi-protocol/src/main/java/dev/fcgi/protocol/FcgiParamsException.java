package dev.fcgi.protocol;

/**
 * The PARAMS stream of one request is malformed or over a limit. Only that request fails (the server answers it
 * with {@link #httpStatus()} and END_REQUEST); the connection and its other requests carry on.
 */
public final class FcgiParamsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final boolean tooLarge;

    private FcgiParamsException(String message, boolean tooLarge) {
        super(message, null, false, false);
        this.tooLarge = tooLarge;
    }

    /** The params are over a configured limit (length or number of pairs). */
    public static FcgiParamsException tooLarge(String message) {
        return new FcgiParamsException(message, true);
    }

    /** The params are malformed (for example, the stream ends inside a pair). */
    public static FcgiParamsException malformed(String message) {
        return new FcgiParamsException(message, false);
    }

    /** Whether a limit was exceeded, rather than the encoding broken. */
    public boolean isTooLarge() {
        return tooLarge;
    }

    /** The HTTP status that answers the request: 431 when over a limit, else 400. */
    public int httpStatus() {
        return tooLarge ? 431 : 400;
    }
}
