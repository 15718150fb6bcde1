package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiHandler;

/** An in-JVM worker: its handler instance runs on the worker's platform thread. */
record ThreadWorker(FcgiHandler handler) implements PoolWorker {
}
