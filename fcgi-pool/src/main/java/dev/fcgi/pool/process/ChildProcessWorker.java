package dev.fcgi.pool.process;

import dev.fcgi.pool.PoolWorker;
import dev.fcgi.pool.WorkerSlot;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.Multiplexing;
import dev.fcgi.protocol.server.FcgiHandler;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One started child process as the pool's worker: its requests go to the child over one kept connection (no
 * multiplexing: php-cgi serves one request at a time); its exit, when the pool did not ask for it, takes the
 * worker out of the pool at once ({@link WorkerSlot#exited}).
 */
final class ChildProcessWorker implements PoolWorker {

    private static final Logger logger = LoggerFactory.getLogger(ChildProcessWorker.class);
    /** No limit of the client's own: the pool's request_terminate_timeout decides how long a request may run. */
    private static final Duration NO_REQUEST_TIMEOUT = Duration.ofDays(365);

    private final WorkerSlot slot;
    private final Process process;
    private final Path socketFile;
    private final Duration stopGrace;
    private final FcgiClient client;
    private final ChildProxy proxy;
    private volatile boolean closing;       // the pool stops the child: its exit is expected
    private volatile boolean broken;        // terminated, or failed a request: it takes no more

    ChildProcessWorker(WorkerSlot slot, Process process, SocketAddress address, Path socketFile,
                       EventLoopGroup group, Duration stopGrace, boolean php) {
        this.slot = slot;
        this.process = process;
        this.socketFile = socketFile;
        this.stopGrace = stopGrace;
        this.client = FcgiClient.builder().address(address).eventLoopGroup(group).maxConnections(1)
                .keepConn(true).multiplexing(Multiplexing.OFF).requestTimeout(NO_REQUEST_TIMEOUT)
                .callbackExecutor(Runnable::run)    // the worker thread only waits in get(): no hop to a callback thread
                .build();
        this.proxy = new ChildProxy(this, client, php);
        process.onExit().thenRun(this::onExit);
    }

    private void onExit() {
        if (!closing) {
            int exit = process.exitValue();
            slot.exited(ChildExit.describe(exit), ChildExit.isFailure(exit));
        }
    }

    @Override
    public FcgiHandler handler() {
        return proxy;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public boolean isAlive() {
        return !broken && process.isAlive();
    }

    /** The request in progress failed in a way that leaves the child in doubt: it serves no more requests. */
    void markBroken() {
        broken = true;
    }

    /** The child leaves after its current request, which is no failure (an abandoned or stopped request). */
    void retire(String why) {
        broken = true;
        slot.exited(why, false);
    }

    /**
     * The child's end, once a request found it gone: waits up to a second for the exit (the JDK reaps children
     * on a thread of its own) so that the error names it, e.g. {@code exited on signal 9 (SIGKILL)}; {@code failed}
     * when it still runs (it sent a broken answer, or closed the connection).
     */
    String exitDescription() {
        try {
            if (process.waitFor(1, TimeUnit.SECONDS)) {
                return "exited " + ChildExit.describe(process.exitValue());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "failed";
    }

    @Override
    public void terminate() {
        broken = true;
        slot.exited("terminated after request_terminate_timeout", false);   // the watchdog warned already
        process.destroy();          // SIGTERM; the pool sends SIGKILL (kill()) if the worker does not stop
    }

    @Override
    public void kill() {
        broken = true;
        process.destroyForcibly();  // SIGKILL
    }

    @Override
    public boolean hasJavaStack() {
        return false;
    }

    /** Stops the child: SIGTERM (php-cgi exits once its request is done), then SIGKILL after the grace period. */
    @Override
    public void close() {
        closing = true;
        boolean interrupted = Thread.interrupted();     // a stray interrupt must not skip the grace period
        client.close();
        if (process.isAlive()) {
            process.destroy();
            if (!awaitExit(stopGrace)) {
                logger.warn("[pool {}] child {} still running {} ms after SIGTERM, sending SIGKILL",
                        slot.poolName(), process.pid(), stopGrace.toMillis());
                process.destroyForcibly();
                awaitExit(stopGrace);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (socketFile != null) {
            try {
                Files.deleteIfExists(socketFile);
                ChildReaper.forget(socketFile);
            } catch (IOException e) {
                logger.debug("[pool {}] could not delete {}", slot.poolName(), socketFile, e);
            }
        }
    }

    /** Waits for the child's exit; an interrupt meanwhile is kept for later, not obeyed. */
    private boolean awaitExit(Duration timeout) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (;;) {
                try {
                    return process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String exitStatus() {
        return process.isAlive() ? null : ChildExit.describe(process.exitValue());
    }

    String poolName() {
        return slot.poolName();
    }

    @Override
    public String toString() {
        return "child " + process.pid();
    }
}
