package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiResponse;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The response a pool's worker hands its handler: the server's response, plus a note to the pool when the handler
 * calls {@link #finish()}, so that the scoreboard shows the worker as Finishing until the handler returns (PHP's
 * {@code fastcgi_finish_request()}).
 */
final class FinishTrackingResponse implements FcgiResponse {

    private final FcgiResponse delegate;
    private final Runnable onFinish;

    FinishTrackingResponse(FcgiResponse delegate, Runnable onFinish) {
        this.delegate = delegate;
        this.onFinish = onFinish;
    }

    @Override
    public void finish() throws IOException {
        try {
            delegate.finish();
        } finally {
            onFinish.run();
        }
    }

    @Override
    public FcgiResponse status(int code) {
        delegate.status(code);
        return this;
    }

    @Override
    public FcgiResponse status(int code, String reason) {
        delegate.status(code, reason);
        return this;
    }

    @Override
    public int status() {
        return delegate.status();
    }

    @Override
    public FcgiResponse header(String name, String value) {
        delegate.header(name, value);
        return this;
    }

    @Override
    public FcgiResponse addHeader(String name, String value) {
        delegate.addHeader(name, value);
        return this;
    }

    @Override
    public String header(String name) {
        return delegate.header(name);
    }

    @Override
    public OutputStream body() {
        return delegate.body();
    }

    @Override
    public OutputStream stderr() {
        return delegate.stderr();
    }

    @Override
    public FcgiResponse appStatus(int appStatus) {
        delegate.appStatus(appStatus);
        return this;
    }

    @Override
    public boolean isCommitted() {
        return delegate.isCommitted();
    }

    @Override
    public boolean terminate(int status, String message) {
        return delegate.terminate(status, message);
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
