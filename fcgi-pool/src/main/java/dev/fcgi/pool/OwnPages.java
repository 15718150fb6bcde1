package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.pool.status.StatusPage;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * The pages a pool answers itself, never waiting for a worker ({@code pm.status_path} and {@code ping.path}): each
 * runs on a virtual thread of its own, at most {@link #MAX_CONCURRENT} at a time, so that they answer when every
 * worker is busy and cannot be used to pile up threads.
 */
final class OwnPages {

    /** Status and ping requests answered at once; more at the same time are refused with FCGI_OVERLOADED. */
    static final int MAX_CONCURRENT = 16;

    private final String pool;
    private final String statusPath;
    private final String pingPath;
    private final String pingResponse;
    private final Supplier<StatusPage> statusPage;
    private final Semaphore running = new Semaphore(MAX_CONCURRENT);

    OwnPages(String pool, String statusPath, String pingPath, String pingResponse, Supplier<StatusPage> statusPage) {
        this.pool = pool;
        this.statusPath = statusPath;
        this.pingPath = pingPath;
        this.pingResponse = pingResponse;
        this.statusPage = statusPage;
    }

    String statusPath() {
        return statusPath;
    }

    String pingPath() {
        return pingPath;
    }

    String pingResponse() {
        return pingResponse;
    }

    /** Whether {@code request} asks for one of these pages. */
    boolean matches(FcgiRequest request) {
        if (request == null || (statusPath == null && pingPath == null)) {
            return false;
        }
        String path = RequestInfo.path(request);
        return path != null && (path.equals(statusPath) || path.equals(pingPath));
    }

    /**
     * Runs {@code job} (which answers a page through {@link #answer}) on a virtual thread of its own.
     *
     * @throws RejectedExecutionException when {@link #MAX_CONCURRENT} pages run already
     */
    void run(Runnable job) {
        if (!running.tryAcquire()) {
            throw new RejectedExecutionException("[pool " + pool + "] " + MAX_CONCURRENT
                    + " status or ping requests run already");
        }
        try {
            Thread.ofVirtual().name("pool-" + pool + "-status").start(() -> {
                try {
                    job.run();
                } finally {
                    running.release();
                }
            });
        } catch (RuntimeException | Error e) {
            running.release();
            throw e;
        }
    }

    /** Answers {@code request} if it asks for one of these pages; false when it does not. */
    boolean answer(FcgiRequest request, FcgiResponse response) throws Exception {
        if (!matches(request)) {
            return false;
        }
        if (RequestInfo.path(request).equals(statusPath)) {
            StatusPage.serve(statusPage, request, response);
        } else {
            StatusPage.servePing(pingResponse, request, response);
        }
        return true;
    }
}
