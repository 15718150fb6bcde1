package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiResponse;

import java.time.Instant;

/**
 * One scoreboard slot of an {@link FcgiPool}: a platform thread that runs the jobs the pool hands it through the
 * {@link PoolWorker} its factory started. All fields are guarded by the pool's lock, except {@link #backend},
 * which the worker's own thread sets once before the slot leaves the Starting state, and the current request's
 * CPU and memory figures, which only the worker's own thread touches.
 */
final class Worker implements WorkerSlot {

    private final FcgiPool pool;
    final long id;
    final long startedNanos;
    volatile PoolWorker backend;    // null while starting
    WorkerState state = WorkerState.STARTING;
    long stateSinceNanos;
    long requests;
    Runnable next;
    boolean retire;
    Thread thread;
    RequestInfo request;            // the current request, or the last one when idle
    long requestStartNanos = -1;    // -1 when no request runs
    long lastRequestNanos = -1;
    long lastRequestCpuNanos;
    long lastRequestMemory;
    long usedCpuNanos;              // the current request's figures, written by the worker's own thread only,
    long usedMemory;                // and booked into the two above when the request ends
    long queueWaitNanos;            // how long the current request waited for a worker
    boolean slowLogged;             // the current request was written to the slowlog
    FcgiResponse response;          // the current request's response, while its handler runs
    long terminatedAtNanos = -1;    // when request_terminate_timeout ended the current request
    boolean abandoned;              // did not stop after termination: no longer part of the pool
    String exit;                    // why it left on its own (a crash, a child that exited), or null
    boolean failed;                 // it left because of a failure
    boolean replace;                // it left the pool, and the strategy is to be asked for a replacement
    long acceptNanos;               // when the current request was accepted (ticker), for the access log
    Instant acceptTime;             // the same on the wall clock, or null

    Worker(FcgiPool pool, long id, long nowNanos) {
        this.pool = pool;
        this.id = id;
        this.startedNanos = nowNanos;
        this.stateSinceNanos = nowNanos;
    }

    @Override
    public String poolName() {
        return pool.name();
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public void exited(String description, boolean failure) {
        pool.workerExited(this, description, failure);
    }

    void enter(WorkerState state, long nowNanos) {
        this.state = state;
        this.stateSinceNanos = nowNanos;
    }

    /** Hands the worker a job: it becomes RUNNING and its scoreboard slot describes {@code info}. */
    void take(Runnable job, RequestInfo info, long nowNanos, long acceptNanos, Instant acceptTime) {
        next = job;
        request = info;
        requestStartNanos = nowNanos;
        queueWaitNanos = nowNanos - acceptNanos;
        this.acceptNanos = acceptNanos;
        this.acceptTime = acceptTime;
        slowLogged = false;
        terminatedAtNanos = -1;
        enter(WorkerState.RUNNING, nowNanos);
    }

    /** Books the end of the current request; the request info stays for the status page. */
    void finished(long nowNanos) {
        if (requestStartNanos >= 0) {
            lastRequestNanos = nowNanos - requestStartNanos;
            requestStartNanos = -1;
        }
    }

    /** The process id the status page shows: the child's, or the slot's id for an in-JVM worker. */
    long pid() {
        PoolWorker started = backend;
        long pid = started == null ? -1 : started.pid();
        return pid >= 0 ? pid : id;
    }

    WorkerView view() {
        return new WorkerView(id, pid(), retire && state != WorkerState.STARTING ? WorkerState.RETIRING : state,
                startedNanos, stateSinceNanos, requests, request, requestStartNanos, lastRequestNanos,
                lastRequestCpuNanos, lastRequestMemory);
    }
}
