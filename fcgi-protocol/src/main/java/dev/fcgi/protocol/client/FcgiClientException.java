package dev.fcgi.protocol.client;

import java.io.IOException;

/**
 * A request sent by {@link FcgiClient} failed: the connection could not be made or was lost, the application
 * broke the protocol or sent a malformed CGI response, or the request body could not be read. It is an
 * {@link IOException} so that reading a response body can throw it as it is.
 */
public class FcgiClientException extends IOException {

    private static final long serialVersionUID = 1L;

    /** An exception with a message that says what failed and where. */
    public FcgiClientException(String message) {
        super(message);
    }

    /** An exception with a message and a cause. */
    public FcgiClientException(String message, Throwable cause) {
        super(message, cause);
    }
}
