package dev.fcgi.protocol.server;

import java.io.IOException;

/**
 * A read or write of a request that the web server aborted, or whose connection is gone. A handler that lets it
 * propagate ends quietly (logged at DEBUG): the web server no longer waits for the answer.
 */
public final class RequestAbortedException extends IOException {

    private static final long serialVersionUID = 1L;

    /** An exception whose message says what was aborted and why. */
    public RequestAbortedException(String message) {
        super(message);
    }
}
