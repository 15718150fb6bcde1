package dev.fcgi.protocol.client;

import java.util.concurrent.ScheduledFuture;

/**
 * One attempt of an {@link Exchange} on one connection, under one request id. Its fields are confined to the
 * connection's event loop, except the volatile ones the body pump reads.
 */
final class Attempt implements ResponseBody.Listener {

    final Exchange exchange;
    final ClientConnection connection;
    final int id;
    /** Whether the connection had served other requests before this one (spec 69: only those are retried). */
    final boolean reused;
    final StderrBuffer stderr = new StderrBuffer(FcgiClient.STDERR_LIMIT);

    CgiResponseParser parser;
    FcgiClientResponse response;
    /** Some record of this request arrived. */
    boolean anyRecord;
    boolean stdoutEnded;
    /** END_REQUEST arrived. */
    boolean ended;
    /** The exchange failed on this attempt (bad response, cancel, timeout); records are discarded until the end. */
    boolean failed;
    /** ABORT_REQUEST was sent; waiting for END_REQUEST. */
    boolean aborting;
    /** This attempt turned autoRead off for its connection. */
    boolean pausing;
    /** The request's input streams have been written (or the writer stopped). */
    boolean writerDone = true;
    /** Removed from its connection. */
    boolean finished;
    /** Send the exchange again once this attempt is finished. */
    boolean retry;
    long retryDelayNanos;
    ScheduledFuture<?> abortTimer;

    /** Tells the body pump to stop; set on END_REQUEST, failure or close. */
    volatile boolean stopWriting;

    Attempt(Exchange exchange, ClientConnection connection, int id, boolean reused, int maxHeaderLength) {
        this.exchange = exchange;
        this.connection = connection;
        this.id = id;
        this.reused = reused;
        this.parser = new CgiResponseParser(maxHeaderLength);
    }

    @Override
    public void drained() {
        connection.eventLoop.execute(() -> connection.resume(this));
    }

    @Override
    public void closedEarly() {
        exchange.interrupt(new FcgiClientException("response closed by the caller before it ended (request id "
                + id + ")"));
    }

    @Override
    public String toString() {
        return "request id " + id;
    }
}
