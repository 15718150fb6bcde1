package dev.fcgi.protocol.client;

/**
 * A request did not end within {@link FcgiClient.Builder#requestTimeout(java.time.Duration)} (including the time it
 * waited for a connection), or a GET_VALUES query got no answer in time. The request has been aborted.
 */
public class FcgiTimeoutException extends FcgiClientException {

    private static final long serialVersionUID = 1L;

    /** An exception whose message names the limit and what the request was waiting for. */
    public FcgiTimeoutException(String message) {
        super(message);
    }
}
