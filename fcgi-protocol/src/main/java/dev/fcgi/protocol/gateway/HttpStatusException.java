package dev.fcgi.protocol.gateway;

import io.netty.handler.codec.http.HttpResponseStatus;

/** A request the gateway answers itself, without asking the backend: the status and why. */
final class HttpStatusException extends Exception {

    private final transient HttpResponseStatus status;

    HttpStatusException(HttpResponseStatus status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    HttpResponseStatus status() {
        return status;
    }
}
