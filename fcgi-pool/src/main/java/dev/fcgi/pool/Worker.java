package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;

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

    WorkerView view() {
        return new WorkerView(id, retire ? WorkerState.RETIRING : state, startedNanos, stateSinceNanos, requests);
    }
}
