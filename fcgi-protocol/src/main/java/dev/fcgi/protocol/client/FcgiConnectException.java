package dev.fcgi.protocol.client;

/**
 * The client could not connect to the application (refused, no such socket file, or no answer within
 * {@link FcgiClient.Builder#connectTimeout(java.time.Duration)}). Nothing of the request was sent.
 */
public class FcgiConnectException extends FcgiClientException {

    private static final long serialVersionUID = 1L;

    /** An exception naming the address, with the transport's error as its cause. */
    public FcgiConnectException(String message, Throwable cause) {
        super(message, cause);
    }
}
