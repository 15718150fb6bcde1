package dev.fcgi.protocol.gateway;

import java.io.IOException;

/** A request body grew past {@link HttpGateway.Builder#maxRequestBodySize(long)}: the answer is 413. */
final class BodyTooLargeException extends IOException {

    BodyTooLargeException(long limit) {
        super("request body larger than maxRequestBodySize (" + limit + " bytes)");
    }
}
