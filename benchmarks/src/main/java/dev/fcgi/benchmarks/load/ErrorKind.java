package dev.fcgi.benchmarks.load;

import dev.fcgi.protocol.client.FcgiClientException;
import dev.fcgi.protocol.client.FcgiConnectException;
import dev.fcgi.protocol.client.FcgiRequestRefusedException;
import dev.fcgi.protocol.client.FcgiTimeoutException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Why a request got no (complete) response, as {@link FcgiLoad} counts it. */
enum ErrorKind {
    /** The connection could not be opened (refused, no such socket, connect timeout). */
    CONNECT("connect"),
    /** No END_REQUEST within {@code --timeout}. */
    TIMEOUT("timeout"),
    /** END_REQUEST with FCGI_OVERLOADED or FCGI_CANT_MPX_CONN (after the client's retries) or FCGI_UNKNOWN_ROLE. */
    REFUSED("refused"),
    /** A FastCGI or CGI protocol error, or the connection lost before the response ended. */
    PROTOCOL("protocol"),
    /** Anything else (an I/O error while reading the body, for example). */
    OTHER("other");

    private final String label;

    ErrorKind(String label) {
        this.label = label;
    }

    /** The name in reports and JSON. */
    String label() {
        return label;
    }

    /** The kind of a failure as {@code FcgiClient} reports it (unwrapping completion exceptions). */
    static ErrorKind of(Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof FcgiConnectException) {
            return CONNECT;
        }
        if (e instanceof FcgiTimeoutException) {
            return TIMEOUT;
        }
        if (e instanceof FcgiRequestRefusedException) {
            return REFUSED;
        }
        if (e instanceof FcgiClientException) {
            return PROTOCOL;
        }
        return OTHER;
    }

    /** The cause of a {@link CompletionException} or {@link ExecutionException}, or the error itself. */
    static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
