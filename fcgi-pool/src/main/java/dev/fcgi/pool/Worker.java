package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiResponse;

/**
 * One worker of an {@link FcgiPool}: a platform thread that runs the jobs the pool hands it, with its own handler
 * instance. All fields are guarded by the pool's lock.
 */
final class Worker {

    final long id;
    final FcgiHandler handler;
    final long startedNanos;
    WorkerState state = WorkerState.IDLE;
    long stateSinceNanos;
    long requests;
    Runnable next;
    boolean retire;
    Thread thread;
    RequestInfo request;            // the current request, or the last one when idle
    long requestStartNanos = -1;    // -1 when no request runs
    long lastRequestNanos = -1;
    boolean slowLogged;             // the current request was written to the slowlog
    FcgiResponse response;          // the current request's response, while its handler runs
    long terminatedAtNanos = -1;    // when request_terminate_timeout ended the current request
    boolean abandoned;              // did not stop after termination: no longer part of the pool
    long acceptNanos;               // when the current request was accepted (ticker), for the access log
    java.time.Instant acceptTime;   // the same on the wall clock, or null

    Worker(long id, FcgiHandler handler, long nowNanos) {
        this.id = id;
        this.handler = handler;
        this.startedNanos = nowNanos;
        this.stateSinceNanos = nowNanos;
    }

    void enter(WorkerState state, long nowNanos) {
        this.state = state;
        this.stateSinceNanos = nowNanos;
    }

    /** Hands the worker a job: it becomes RUNNING and its scoreboard slot describes {@code info}. */
    void take(Runnable job, RequestInfo info, long nowNanos) {
        next = job;
        request = info;
        requestStartNanos = nowNanos;
        slowLogged = false;
        terminatedAtNanos = -1;
        enter(WorkerState.RUNNING, nowNanos);
    }

    /** Books when the request just taken was accepted (before it waited in the queue). */
    void accepted(long nanos, java.time.Instant time) {
        acceptNanos = nanos;
        acceptTime = time;
    }

    /** Books the end of the current request; the request info stays for the status page. */
    void finished(long nowNanos) {
        if (requestStartNanos >= 0) {
            lastRequestNanos = nowNanos - requestStartNanos;
            requestStartNanos = -1;
        }
    }

    WorkerView view() {
        return new WorkerView(id, retire ? WorkerState.RETIRING : state, startedNanos, stateSinceNanos, requests,
                request, requestStartNanos, lastRequestNanos);
    }
}
