package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiDispatcher;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.pool.status.StatusPage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A pool of workers managed like a PHP-FPM pool: a {@link PoolStrategy} decides how many workers run, each worker
 * is a scoreboard slot with a platform thread that runs what its {@link WorkerFactory} started (a handler instance
 * of its own, or a child process), requests (not connections) are dispatched, so a kept connection never pins a
 * worker, and requests that find no idle worker wait in a bounded queue ({@code listen.backlog}); past it they are
 * refused with FCGI_OVERLOADED.
 *
 * <pre>{@code
 * FcgiPool pool = FcgiPool.builder("www")
 *         .strategy(DynamicStrategy.newBuilder().maxChildren(8).minSpareServers(2).maxSpareServers(4).build())
 *         .handler(MyHandler::new)                   // one handler instance per worker
 *         .build().start();
 * FcgiServer server = FcgiServer.builder().listen("127.0.0.1:9000")
 *         .handler(pool.handler()).dispatcher(pool).build().start();
 * }</pre>
 *
 * <p>An idle worker is handed the next request most-recently-used first, so that the least used ones stay idle
 * and can be retired. The strategy is consulted on a maintenance thread every second and at once when a request
 * is queued; it never runs on a request's thread.
 */
public final class FcgiPool implements FcgiDispatcher, AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(FcgiPool.class);
    private static final ThreadLocal<Worker> CURRENT = new ThreadLocal<>();
    private static final ThreadLocal<FcgiPool> CURRENT_POOL = new ThreadLocal<>();
    /** The first pause after a worker failed to start; it doubles with each failure in a row. */
    static final Duration START_BACKOFF_MIN = Duration.ofMillis(100);
    /** The longest pause between attempts to start a worker. */
    static final Duration START_BACKOFF_MAX = Duration.ofSeconds(30);

    private final String name;
    private final PoolStrategy strategy;
    private final WorkerFactory workerFactory;
    private final ProcessBudget budget;
    private final PoolListener listener;
    private volatile FcgiHandler serverHandler;
    private final int maxRequests;
    private final int listenBacklog;
    private final Ticker ticker;
    private final ScheduledExecutorService maintenance;
    private final boolean ownsMaintenance;
    private final Duration heartbeat;
    private final Clock clock;
    private final OwnPages ownPages;
    private final List<String> limitExtensions;
    private final long slowlogTimeoutNanos;
    private final long terminateTimeoutNanos;
    private final boolean terminateTracksFinished;
    private final long terminateGraceNanos;
    private final SlowLog slowLog;
    private final AccessLog accessLog;        // null when off

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition drained = lock.newCondition();
    private final Condition startsDone = lock.newCondition();
    private final Condition threadsEnded = lock.newCondition();
    private final Map<Long, Worker> workers = new LinkedHashMap<>();
    private final ArrayDeque<Worker> idle = new ArrayDeque<>();       // most recently used first
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    private final Map<Long, Condition> wakeups = new LinkedHashMap<>();
    private final AtomicBoolean queueEventPending = new AtomicBoolean();
    private long nextWorkerId = 1;
    private int starting;
    private int workerThreads;                // worker threads that have not ended yet (backend closed)
    private int startFailuresInARow;
    private long nextStartNanos;              // no worker starts before this (back-off after failed starts)
    private boolean startRetryScheduled;
    private long startNanos;
    private Instant startTime = Instant.EPOCH;
    private long slowRequests;
    private long acceptedConn;
    private int maxListenQueue;
    private int maxActive;
    private long maxChildrenReached;
    private long rejected;
    private long maxQueueWaitNanos;
    private boolean shutdown;                 // new requests are refused (graceful stop or stop)
    private boolean stopped;                  // shutdownNow: no worker starts, none stays
    private ScheduledFuture<?> tick;
    private ScheduledFuture<?> watchdog;

    private record Queued(Runnable job, RequestInfo info, long sinceNanos, Instant acceptTime) {
    }

    private FcgiPool(Builder builder) {
        this.name = builder.name;
        this.strategy = builder.strategy;
        this.workerFactory = builder.workerFactory;
        this.budget = builder.budget;
        this.listener = builder.listener;
        this.maxRequests = builder.maxRequests;
        this.listenBacklog = builder.listenBacklog;
        this.ticker = builder.ticker;
        this.heartbeat = builder.heartbeat;
        this.clock = builder.clock;
        this.ownPages = new OwnPages(builder.name, builder.statusPath, builder.pingPath, builder.pingResponse,
                this::statusPage);
        this.limitExtensions = builder.limitExtensionsGiven ? List.copyOf(builder.limitExtensions)
                : List.copyOf(builder.workerFactory.defaultLimitExtensions());
        this.slowlogTimeoutNanos = builder.slowlogTimeout.toNanos();
        this.terminateTimeoutNanos = builder.terminateTimeout.toNanos();
        this.terminateTracksFinished = builder.terminateTracksFinished;
        this.terminateGraceNanos = builder.terminateGrace.toNanos();
        this.slowLog = new SlowLog(builder.name, builder.slowlog, builder.slowlogTraceDepth);
        this.accessLog = builder.accessLog == null ? null : new AccessLog(builder.name, builder.accessLog,
                builder.accessFormat, new java.util.HashSet<>(builder.accessSuppressPaths), builder.clock.getZone());
        this.ownsMaintenance = builder.maintenance == null;
        this.maintenance = ownsMaintenance ? Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("pool-" + name + "-maintenance").daemon(true).factory()) : builder.maintenance;
    }

    /** A builder for a pool named {@code name} (FPM's {@code [name]} section). */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The pool's name. */
    public String name() {
        return name;
    }

    /**
     * Starts the strategy's initial workers, waits until each has started or failed to (FPM, too, forks its first
     * children before it is ready to handle connections), and starts the maintenance heartbeat. Later workers
     * start on their own threads while the pool serves: the scoreboard shows them as Starting meanwhile.
     */
    public FcgiPool start() {
        lock.lock();
        try {
            startNanos = ticker.read();
            startTime = clock.instant();
        } finally {
            lock.unlock();
        }
        spawn(strategy.initialWorkers());
        lock.lock();
        try {
            while (starting > 0) {
                startsDone.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        tick = maintenance.scheduleWithFixedDelay(this::tickSafely, heartbeat.toNanos(), heartbeat.toNanos(),
                TimeUnit.NANOSECONDS);
        long shortest = Math.min(slowlogTimeoutNanos > 0 ? slowlogTimeoutNanos : Long.MAX_VALUE,
                terminateTimeoutNanos > 0 ? terminateTimeoutNanos : Long.MAX_VALUE);
        if (shortest != Long.MAX_VALUE) {
            // FPM's request heartbeat: a third of the shortest timeout, at least 130 ms
            long period = Math.max(TimeUnit.MILLISECONDS.toNanos(130), shortest / 3);
            watchdog = maintenance.scheduleWithFixedDelay(this::watchSafely, period, period, TimeUnit.NANOSECONDS);
        }
        logger.info("[pool {}] started with {} worker(s), {}", name, strategy.initialWorkers(), strategy);
        return this;
    }

    /**
     * The handler to give the server (the same instance every time): on a worker's thread it runs the request on
     * that worker; elsewhere it answers the status and ping pages, and refuses any other request with 503 (a
     * request the pool never dispatched, or one still queued when the pool was stopped).
     */
    public FcgiHandler handler() {
        FcgiHandler handler = serverHandler;
        if (handler == null) {
            synchronized (this) {
                if (serverHandler == null) {
                    serverHandler = this::handle;
                }
                handler = serverHandler;
            }
        }
        return handler;
    }

    private void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        Worker worker = CURRENT.get();
        if (worker == null) {
            serveOffWorker(request, response);
            return;
        }
        if (!setResponse(worker, response)) {
            response.terminate(504, "request_terminate_timeout: the request was terminated before it started");
            return;
        }
        try {
            serve(worker, request, new FinishTrackingResponse(response, () -> finishing(worker)));
        } finally {
            setResponse(worker, null);
        }
    }

    private void serveOffWorker(FcgiRequest request, FcgiResponse response) throws Exception {
        long acceptNanos = ticker.read();
        Instant acceptTime = clock.instant();
        long[] before = accessLog == null ? null : AccessLog.threadUsage();
        boolean failed = true;
        try {
            if (!ownPages.answer(request, response)) {
                boolean stopped = isShutdown();
                logger.warn("[pool {}] a request for '{}' {}: 503", name, RequestInfo.path(request),
                        stopped ? "was still queued when the pool stopped" : "was not dispatched through the pool");
                answer(response, 503, stopped ? "The pool has stopped.\n" : "Not dispatched through the pool.\n");
            }
            failed = false;
        } finally {
            if (before != null) {
                logAccess(null, request, response, failed, acceptNanos, acceptTime, before);
            }
        }
    }

    /** Answers with a short plain-text body. */
    static void answer(FcgiResponse response, int status, String text) throws IOException {
        response.status(status).contentType("text/plain; charset=utf-8");
        try (OutputStream body = response.body()) {
            body.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Registers the response of the request a worker runs, so that the watchdog can terminate it; false when the
     * watchdog terminated the request before its handler started.
     */
    private boolean setResponse(Worker worker, FcgiResponse response) {
        lock.lock();
        try {
            worker.response = response;
            return response == null || worker.terminatedAtNanos < 0;
        } finally {
            lock.unlock();
        }
    }

    /** The handler called {@code finish()}: the worker is Finishing until it returns. */
    private void finishing(Worker worker) {
        lock.lock();
        try {
            if (worker.state == WorkerState.RUNNING || worker.state == WorkerState.READING_HEADERS) {
                worker.enter(WorkerState.FINISHING, ticker.read());
            }
        } finally {
            lock.unlock();
        }
    }

    /** Runs one request on its worker's thread; then books what it cost, logs it and tells the listener. */
    private void serve(Worker worker, FcgiRequest request, FcgiResponse response) throws Exception {
        long[] before = AccessLog.threadUsage(accessLog != null);
        boolean failed = true;
        try {
            if (deniedByExtension(request, response)) {
                failed = false;
                return;
            }
            worker.backend.handler().handle(request, response);
            failed = false;
        } catch (VirtualMachineError e) {
            // like a child that crashed: this worker's handler instance may be broken, so it is replaced
            crashed(worker, e);
            throw e;
        } finally {
            long[] after = AccessLog.threadUsage(accessLog != null);
            worker.usedCpuNanos = after[0] - before[0];         // booked by afterRequest, on this thread
            worker.usedMemory = after[2] - before[2];
            if (accessLog != null) {
                logAccess(worker, request, response, failed, worker.acceptNanos, worker.acceptTime, before, after);
            }
            if (listener != PoolListener.NONE) {    // no capture on the hot path without a listener
                int status = failed && !response.isCommitted() ? 500 : response.status();
                long duration = ticker.read() - worker.requestStartNanos;
                notify(l -> l.requestCompleted(name, worker.id, worker.queueWaitNanos, duration, status));
            }
        }
    }

    /**
     * {@code security.limit_extensions}: a script with another suffix gets FPM's 403. As FPM checks the script PHP
     * will run, after its {@code cgi.fix_pathinfo} walk, a {@code SCRIPT_FILENAME} that does not exist is walked
     * back the same way: {@code /uploads/evil.jpg/x.php} names {@code evil.jpg}, which is refused.
     */
    private boolean deniedByExtension(FcgiRequest request, FcgiResponse response) throws IOException {
        if (limitExtensions.isEmpty() || request == null) {
            return false;
        }
        String script = request.param("SCRIPT_FILENAME");
        if (script == null) {
            return false;
        }
        String resolved = scriptPhpWouldRun(script);
        if (allowedExtension(script) && allowedExtension(resolved)) {
            return false;
        }
        logger.warn("[pool {}] Access to the script '{}' has been denied (see security.limit_extensions)", name,
                resolved);
        answer(response, 403, "Access denied.\n");
        return true;
    }

    private boolean allowedExtension(String script) {
        for (String extension : limitExtensions) {
            if (script.endsWith(extension)) {
                return true;
            }
        }
        return false;
    }

    /** The longest existing regular file that {@code script} starts with (PHP's fix_pathinfo walk), else itself. */
    private static String scriptPhpWouldRun(String script) {
        try {
            Path path = Path.of(script);
            if (!path.isAbsolute() || Files.exists(path)) {
                return script;
            }
            for (Path p = path.getParent(); p != null; p = p.getParent()) {
                if (Files.isRegularFile(p)) {
                    return p.toString();
                }
                if (Files.isDirectory(p)) {
                    return script;
                }
            }
        } catch (RuntimeException e) {          // an invalid path: PHP will not find it either
            return script;
        }
        return script;
    }

    private void crashed(Worker worker, Throwable cause) {
        lock.lock();
        try {
            if (worker.exit == null) {
                worker.exit = "after a fatal error in its handler (" + cause + ")";
                worker.failed = true;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Appends the access log line of a request that just ended on this thread (FPM: after fpm_request_end). */
    private void logAccess(Worker worker, FcgiRequest request, FcgiResponse response, boolean failed,
                           long acceptNanos, Instant acceptTime, long[] before) {
        logAccess(worker, request, response, failed, acceptNanos, acceptTime, before, AccessLog.threadUsage());
    }

    private void logAccess(Worker worker, FcgiRequest request, FcgiResponse response, boolean failed,
                           long acceptNanos, Instant acceptTime, long[] before, long[] after) {
        try {
            long endNanos = ticker.read();
            RequestInfo info = worker != null ? worker.request : request == null ? null : RequestInfo.of(request);
            if (info != null && accessLog.suppressed(info.uri())) {
                return;
            }
            int status = failed && !response.isCommitted() ? 500 : response.status();
            long cpu = after[0] - before[0];
            long user = Math.min(cpu, after[1] - before[1]);
            accessLog.write(new AccessLogEntry(name, worker == null ? 0 : worker.pid(), info,
                    request == null ? null : request.params(), request == null ? null : request.peerAddress(),
                    status, response::header, acceptTime == null ? clock.instant() : acceptTime,
                    endNanos - acceptNanos, user, cpu - user, after[2] - before[2], clock.instant()));
        } catch (RuntimeException e) {
            logger.error("[pool {}] access log failed", name, e);
        }
    }

    /** The configured status path ({@code pm.status_path}), or {@code null}. */
    public String statusPath() {
        return ownPages.statusPath();
    }

    /** The configured ping path ({@code ping.path}), or {@code null}. */
    public String pingPath() {
        return ownPages.pingPath();
    }

    /** The body of the ping page ({@code ping.response}). */
    public String pingResponse() {
        return ownPages.pingResponse();
    }

    private boolean isShutdown() {
        lock.lock();
        try {
            return shutdown;
        } finally {
            lock.unlock();
        }
    }

    private void notify(java.util.function.Consumer<PoolListener> event) {
        if (listener == PoolListener.NONE) {
            return;
        }
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            logger.error("[pool {}] pool listener failed", name, e);
        }
    }

    // ---- dispatching

    @Override
    public void dispatch(FcgiRequest request, Runnable job) {
        Objects.requireNonNull(job, "job");
        if (ownPages.matches(request)) {
            // the status and ping pages never wait for a worker: they must answer when every worker is busy
            countAccepted(1);       // before the page runs, so that a status page counts its own request
            try {
                ownPages.run(job);
            } catch (RejectedExecutionException e) {
                countAccepted(-1);
                throw e;
            }
            return;
        }
        RequestInfo info = request == null ? null : RequestInfo.of(request);
        Instant acceptTime = clock.instant();
        boolean queued;
        lock.lock();
        try {
            if (shutdown) {
                throw new RejectedExecutionException("[pool " + name + "] is shutting down");
            }
            Worker worker = idle.pollFirst();
            long now = ticker.read();
            if (worker != null) {
                worker.take(job, info, now, now, acceptTime);
                maxActive = Math.max(maxActive, activeCount());
                wakeups.get(worker.id).signal();
                queued = false;
            } else if (queue.size() >= listenBacklog) {
                rejected++;
                queued = false;
            } else {
                queue.addLast(new Queued(job, info, now, acceptTime));
                maxListenQueue = Math.max(maxListenQueue, queue.size());
                queued = true;
            }
            if (worker != null || queued) {
                acceptedConn++;
            }
            if (worker == null && !queued) {
                int waiting = queue.size();
                notifyLater(l -> l.requestRejected(name));
                throw new RejectedExecutionException("[pool " + name + "] " + waiting
                        + " requests wait for a worker (listen.backlog = " + listenBacklog + ")");
            }
        } finally {
            lock.unlock();
        }
        if (queued) {
            onRequestQueued();
        }
    }

    private void countAccepted(int n) {
        lock.lock();
        try {
            acceptedConn += n;
        } finally {
            lock.unlock();
        }
    }

    /** Tells the listener outside the caller's lock, on the maintenance thread. */
    private void notifyLater(java.util.function.Consumer<PoolListener> event) {
        if (listener == PoolListener.NONE) {
            return;
        }
        try {
            maintenance.execute(() -> notify(event));
        } catch (RejectedExecutionException e) {
            logger.debug("[pool {}] an event after shutdown was not passed on", name);
        }
    }

    /** Workers running a request. Under the lock. */
    private int activeCount() {
        return workers.size() - idle.size() - starting;
    }

    /** The pool whose worker (or stopped request) runs on this thread, or {@code null}. */
    static FcgiPool currentPool() {
        return CURRENT_POOL.get();
    }

    private void runWorker(Worker worker) {
        CURRENT.set(worker);
        CURRENT_POOL.set(this);
        PoolWorker backend = null;
        try {
            try {
                backend = Objects.requireNonNull(workerFactory.start(worker), "the worker factory returned null");
            } catch (Throwable t) {
                startFailed(worker, t);
                return;
            }
            worker.backend = backend;
            if (!started(worker)) {
                return;
            }
            PoolWorker started = backend;
            notify(l -> l.workerStarted(name, worker.id, started.pid()));
            for (;;) {
                Runnable job = nextJob(worker);
                if (job == null) {
                    break;
                }
                try {
                    job.run();
                } catch (Throwable t) {
                    logger.error("[pool {}] worker {}: request failed outside its handler", name, worker.id, t);
                }
                Thread.interrupted(); // an interrupt for this request must not reach the next one
                if (!afterRequest(worker)) {
                    break;
                }
            }
        } finally {
            CURRENT.remove();
            CURRENT_POOL.remove();
            if (backend != null) {
                closeQuietly(worker, backend);
                exited(worker, backend);
            }
            threadEnded(worker);
            if (worker.replace) {
                replaceLater();         // after the exit was told, and after a child process was stopped
            }
        }
    }

    private void threadEnded(Worker worker) {
        lock.lock();
        try {
            if (!worker.abandoned) {        // an abandoned worker's thread no longer counted
                workerThreads--;
            }
            threadsEnded.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Logs why a worker left, in FPM's words ({@code child 1234 exited on signal 9 (SIGKILL) after 12.345000 seconds
     * from start}: a child process's own exit status when it has one), and tells the listener.
     */
    private void exited(Worker worker, PoolWorker backend) {
        String description;
        boolean failure;
        lock.lock();
        try {
            failure = worker.failed;
            if (worker.exit != null) {
                description = worker.exit;
            } else if (worker.abandoned) {
                description = "abandoned after request_terminate_timeout";
            } else if (maxRequests > 0 && worker.requests >= maxRequests) {
                description = "after " + worker.requests + " requests (pm.max_requests)";
            } else {
                description = "retired";
            }
        } finally {
            lock.unlock();
        }
        String status = exitStatus(worker, backend);
        String said = status != null ? status : description;
        notify(l -> l.workerExited(name, worker.id, said, failure));
        String seconds = SlowLog.seconds(ticker.read() - worker.startedNanos);
        if (failure) {
            logger.warn("[pool {}] child {} exited {} after {} seconds from start", name, worker.pid(), said, seconds);
        } else if (status != null) {
            logger.info("[pool {}] child {} exited {} after {} seconds from start", name, worker.pid(), said, seconds);
        } else {
            logger.debug("[pool {}] child {} exited {} after {} seconds from start", name, worker.pid(), said,
                    seconds);
        }
    }

    private String exitStatus(Worker worker, PoolWorker backend) {
        try {
            return backend.exitStatus();
        } catch (RuntimeException e) {
            logger.warn("[pool {}] worker {}: exitStatus() failed", name, worker.id, e);
            return null;
        }
    }

    private void closeQuietly(Worker worker, PoolWorker backend) {
        try {
            backend.close();
        } catch (Exception e) {
            logger.warn("[pool {}] worker {} did not close cleanly", name, worker.id, e);
        }
    }

    /** The worker's factory started it: it takes a queued request or goes idle; false when it must leave now. */
    private boolean started(Worker worker) {
        lock.lock();
        try {
            starting--;
            startsDone.signalAll();
            startFailuresInARow = 0;
            if (worker.retire || stopped || (shutdown && queue.isEmpty()) || worker.exit != null) {
                remove(worker);
                worker.replace = worker.exit != null;   // it died as it started: the next start is a new attempt
                return false;
            }
            takeQueuedOrIdle(worker, ticker.read(), true);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void startFailed(Worker worker, Throwable cause) {
        long backoffNanos;
        int attempt;
        boolean retry;
        lock.lock();
        try {
            starting--;
            startsDone.signalAll();
            remove(worker);
            attempt = ++startFailuresInARow;
            backoffNanos = Math.min(START_BACKOFF_MAX.toNanos(),
                    START_BACKOFF_MIN.toNanos() << Math.min(attempt - 1, 20));
            nextStartNanos = ticker.read() + backoffNanos;
            retry = !stopped && !startRetryScheduled;
            startRetryScheduled |= retry;
        } finally {
            lock.unlock();
        }
        if (isShutdown()) {
            logger.debug("[pool {}] worker {} did not start: the pool stopped", name, worker.id, cause);
            return;
        }
        logger.error("[pool {}] worker {} could not start ({} failure(s) in a row; next start in {} ms): {}", name,
                worker.id, attempt, TimeUnit.NANOSECONDS.toMillis(backoffNanos), cause.toString(), cause);
        notify(l -> l.workerStartFailed(name, worker.id, cause));
        if (retry) {
            try {
                maintenance.schedule(() -> {
                    lock.lock();
                    try {
                        startRetryScheduled = false;
                    } finally {
                        lock.unlock();
                    }
                    decideSafely(() -> strategy.onWorkerExited(snapshot()));
                }, backoffNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                logger.debug("[pool {}] no start retry after shutdown", name);
            }
        }
    }

    /** Waits for the worker's next job; {@code null} when it leaves the pool (it has been removed then). */
    private Runnable nextJob(Worker worker) {
        lock.lock();
        try {
            while (worker.next == null && !worker.retire) {
                wakeups.get(worker.id).awaitUninterruptibly();
            }
            if (worker.next == null) {
                remove(worker);
                worker.replace = worker.exit != null;
                return null;
            }
            Runnable job = worker.next;
            worker.next = null;
            return job;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Books a finished request and gives the worker its next job; false when the worker leaves the pool instead
     * (it has then been removed, and marked for a replacement).
     */
    private boolean afterRequest(Worker worker) {
        boolean alive;
        try {
            alive = worker.backend.isAlive();           // user code: not under the lock
        } catch (RuntimeException e) {
            logger.warn("[pool {}] worker {}: isAlive() failed; the worker is replaced", name, worker.id, e);
            alive = false;
        }
        lock.lock();
        try {
            if (worker.abandoned) {
                return false;       // removed and replaced already
            }
            worker.requests++;
            long now = ticker.read();
            worker.finished(now);
            worker.lastRequestCpuNanos = worker.usedCpuNanos;
            worker.lastRequestMemory = worker.usedMemory;
            if (worker.exit == null && !alive) {
                worker.exit = "while it served a request";
                worker.failed = true;
            }
            boolean recycled = maxRequests > 0 && worker.requests >= maxRequests;
            boolean draining = shutdown && queue.isEmpty();     // a graceful stop: no more work will come
            if (!recycled && !worker.retire && worker.exit == null && !draining) {
                takeQueuedOrIdle(worker, now, false);
                return true;
            }
            remove(worker);
            worker.replace = true;
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** The worker takes the oldest queued request, or joins the idle stack (on top, unless {@code fresh}). */
    private void takeQueuedOrIdle(Worker worker, long now, boolean fresh) {
        Queued queued = queue.pollFirst();
        if (queued != null) {
            worker.take(queued.job(), queued.info(), now, queued.sinceNanos(), queued.acceptTime());
            maxQueueWaitNanos = Math.max(maxQueueWaitNanos, now - queued.sinceNanos());
            maxActive = Math.max(maxActive, activeCount());
            wakeups.get(worker.id).signal();
            return;
        }
        worker.enter(WorkerState.IDLE, now);
        if (fresh) {
            idle.addLast(worker);
        } else {
            idle.addFirst(worker);
        }
        if (activeCount() == 0) {
            drained.signalAll();
        }
    }

    /** A worker ended on its own ({@link WorkerSlot#exited}); it leaves after its current request, if any. */
    void workerExited(Worker worker, String description, boolean failure) {
        lock.lock();
        try {
            if (worker.exit != null || !workers.containsKey(worker.id)) {
                return;
            }
            worker.exit = description;
            worker.failed = failure;
            if (idle.remove(worker)) {
                worker.retire = true;
                wakeups.get(worker.id).signal();
            }
        } finally {
            lock.unlock();
        }
    }

    private void remove(Worker worker) {
        if (workers.remove(worker.id) != null) {
            budget.release();
        }
        wakeups.remove(worker.id);
        idle.remove(worker);
        drained.signalAll();
    }

    // ---- the strategy's decisions

    /**
     * Starts up to {@code n} workers (fewer at the strategy's maximum, within {@code process.max}, and none during
     * the back-off after failed starts); each starts on its own thread and then takes a queued request.
     */
    private void spawn(int n) {
        List<Worker> created = new ArrayList<>();
        lock.lock();
        try {
            if (n > 0 && startFailuresInARow > 0 && ticker.read() - nextStartNanos < 0) {
                return;         // a retry is scheduled for the end of the back-off
            }
            // while a graceful stop drains the pool, workers still start for the requests it queued
            for (int i = 0; i < n && !stopped && !(shutdown && queue.size() <= starting)
                    && workers.size() < strategy.maxWorkers(); i++) {
                if (!budget.tryAcquire()) {
                    logger.warn("[pool {}] The maximum number of processes has been reached. Please review your"
                            + " configuration and consider raising 'process.max'", name);
                    break;
                }
                Worker worker = new Worker(this, nextWorkerId++, ticker.read());
                workers.put(worker.id, worker);
                wakeups.put(worker.id, lock.newCondition());
                starting++;
                workerThreads++;
                worker.thread = Thread.ofPlatform().name("pool-" + name + "-worker-" + worker.id).daemon(true)
                        .unstarted(() -> runWorker(worker));
                created.add(worker);
            }
        } finally {
            lock.unlock();
        }
        // started outside the lock: the first new worker takes a queued request while the others still start
        for (int i = 0; i < created.size(); i++) {
            Worker worker = created.get(i);
            try {
                worker.thread.start();
            } catch (Throwable t) {   // no native thread left: one failed start, with its back-off
                lock.lock();
                try {
                    workerThreads--;
                    for (Worker unstarted : created.subList(i + 1, created.size())) {
                        starting--;   // the rest are not tried: taken back, not counted as failures
                        workerThreads--;
                        remove(unstarted);
                    }
                    startsDone.signalAll();
                } finally {
                    lock.unlock();
                }
                startFailed(worker, t);
                return;
            }
        }
    }

    /** Retires worker {@code id} if it is idle (a busy worker is never taken from its request). */
    private void retire(long id) {
        lock.lock();
        try {
            Worker worker = workers.get(id);
            if (worker != null && idle.remove(worker)) {
                worker.retire = true;
                wakeups.get(id).signal();
            }
        } finally {
            lock.unlock();
        }
    }

    private void apply(PoolDecision decision) {
        if (decision.maxChildrenReached()) {
            lock.lock();
            try {
                maxChildrenReached++;
            } finally {
                lock.unlock();
            }
            logger.warn("[pool {}] server reached pm.max_children setting ({}), consider raising it", name,
                    strategy.maxWorkers());
            notify(l -> l.maxChildrenReached(name));
        }
        if (decision.spawn() > 0) {
            spawn(decision.spawn());
        }
        for (long id : decision.retire()) {
            retire(id);
        }
    }

    private void onRequestQueued() {
        if (queueEventPending.compareAndSet(false, true)) {
            try {
                maintenance.execute(() -> {
                    queueEventPending.set(false);
                    decideSafely(() -> strategy.onRequestQueued(snapshot()));
                });
            } catch (RejectedExecutionException e) {
                queueEventPending.set(false);
            }
        }
    }

    /** Asks the strategy, on the maintenance thread, whether a worker that left is to be replaced. */
    private void replaceLater() {
        try {
            maintenance.execute(() -> decideSafely(() -> strategy.onWorkerExited(snapshot())));
        } catch (RejectedExecutionException e) {
            logger.debug("[pool {}] a worker left after shutdown", name);
        }
    }

    private void tickSafely() {
        decideSafely(() -> strategy.onTick(snapshot()));
    }

    private void decideSafely(Supplier<PoolDecision> decision) {
        try {
            apply(decision.get());
        } catch (RuntimeException | Error e) {     // a scheduled task that throws is never run again
            logger.error("[pool {}] maintenance failed", name, e);
        }
    }

    // ---- the request watchdog

    private record Watched(Worker worker, long pid, RequestInfo request, long elapsedNanos, Thread thread,
                           FcgiResponse response, PoolWorker backend) {
    }

    /** Whether the terminate timeout applies to a worker in {@code state}. */
    private boolean terminable(WorkerState state) {
        return state == WorkerState.RUNNING || state == WorkerState.READING_HEADERS
                || (state == WorkerState.FINISHING && terminateTracksFinished);
    }

    /**
     * The request watchdog, at FPM's request heartbeat: writes each request running past
     * {@code request_slowlog_timeout} to the slowlog (once per request), ends each one past
     * {@code request_terminate_timeout} for the web server, interrupts its worker and asks its backend to stop (a
     * child gets SIGTERM), and (in a tick where the slowlog fires, termination waits, as in FPM) gives up on a
     * worker that has not stopped {@code terminateGrace} after that: its backend is killed, it leaves the pool and
     * a new worker replaces it (FPM never escalates).
     */
    private void watchRequests() {
        List<Watched> slow = new ArrayList<>();
        List<Watched> terminate = new ArrayList<>();
        List<Watched> abandoned = new ArrayList<>();
        lock.lock();
        try {
            long now = ticker.read();
            for (Worker worker : new ArrayList<>(workers.values())) {
                if (worker.requestStartNanos < 0 || worker.state == WorkerState.IDLE
                        || worker.state == WorkerState.STARTING) {
                    continue;
                }
                long elapsed = now - worker.requestStartNanos;
                Watched watched = new Watched(worker, worker.pid(), worker.request, elapsed, worker.thread,
                        worker.response, worker.backend);
                if (slowlogTimeoutNanos > 0 && !worker.slowLogged && elapsed >= slowlogTimeoutNanos
                        && worker.state != WorkerState.FINISHING) {
                    worker.slowLogged = true;
                    slowRequests++;
                    slow.add(watched);
                } else if (terminateTimeoutNanos > 0 && elapsed >= terminateTimeoutNanos
                        && (terminable(worker.state) || worker.terminatedAtNanos >= 0)) {
                    if (worker.terminatedAtNanos < 0) {
                        worker.terminatedAtNanos = now;
                        terminate.add(watched);
                        // under the lock, so that it cannot reach the worker's next request
                        stopRequest(worker, elapsed);
                    } else if (now - worker.terminatedAtNanos >= terminateGraceNanos) {
                        worker.abandoned = true;
                        workerThreads--;
                        threadsEnded.signalAll();
                        remove(worker);
                        abandoned.add(watched);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        for (Watched request : slow) {
            try {
                logSlow(request);
            } catch (RuntimeException e) {
                logger.error("[pool {}] slowlog failed", name, e);
            }
        }
        for (Watched request : terminate) {
            try {
                answerTerminated(request);
            } catch (RuntimeException e) {
                logger.error("[pool {}] terminating a request failed", name, e);
            }
        }
        for (Watched request : abandoned) {
            logger.warn("[pool {}] child {} did not stop {} ms after it was terminated; it is abandoned and replaced",
                    name, request.pid(), TimeUnit.NANOSECONDS.toMillis(terminateGraceNanos));
            try {
                if (request.response() != null) {
                    request.response().terminate(504, "request_terminate_timeout: the worker did not stop");
                }
                if (request.backend() != null) {
                    request.backend().kill();
                }
            } catch (RuntimeException e) {
                logger.error("[pool {}] killing worker {} failed", name, request.worker().id, e);
            }
            replaceLater();
        }
    }

    /**
     * Ends the worker's request for the web server (504, or cut short), interrupts the worker's thread and asks
     * its backend to stop (SIGTERM for a child). Under the lock (the response's own lock is taken after it).
     */
    private void stopRequest(Worker worker, long elapsedNanos) {
        if (worker.response != null) {
            worker.response.terminate(504, "request_terminate_timeout: the request ran for "
                    + SlowLog.seconds(elapsedNanos) + " s");
        }
        if (worker.thread != null) {
            worker.thread.interrupt();
        }
        if (worker.backend != null) {
            try {
                worker.backend.terminate();
            } catch (RuntimeException e) {
                logger.error("[pool {}] worker {}: terminate() failed", name, worker.id, e);
            }
        }
    }

    private void logSlow(Watched request) {
        StackTraceElement[] stack = request.backend() != null && !request.backend().hasJavaStack() ? null
                : request.thread() == null ? new StackTraceElement[0] : request.thread().getStackTrace();
        slowLog.log(request.pid(), request.request(), request.elapsedNanos(), stack,
                clock.instant().atZone(clock.getZone()));
        notify(l -> l.slowRequest(name, request.worker().id, request.request(), request.elapsedNanos()));
    }

    /** Logs a terminated request (FPM's warning) and tells the listener. */
    private void answerTerminated(Watched request) {
        logger.warn("[pool {}] child {}, script '{}' (request: \"{}\") execution timed out ({} sec), terminating",
                name, request.pid(), SlowLog.script(request.request()), SlowLog.requestLine(request.request()),
                SlowLog.seconds(request.elapsedNanos()));
        notify(l -> l.requestTerminated(name, request.worker().id, request.request(), request.elapsedNanos()));
    }

    private void watchSafely() {
        try {
            watchRequests();
        } catch (RuntimeException | Error e) {
            logger.error("[pool {}] request watchdog failed", name, e);
        }
    }

    /** Runs the request watchdog (slowlog) on the maintenance thread and waits for it: tests step it with this. */
    void runWatchdog() throws Exception {
        maintenance.submit(this::watchSafely).get(10, TimeUnit.SECONDS);
    }

    /** Runs one maintenance tick on the maintenance thread and waits for it: tests step the pool with it. */
    void runMaintenance() throws Exception {
        maintenance.submit(this::tickSafely).get(10, TimeUnit.SECONDS);
    }

    // ---- observation

    /** The scoreboard now. */
    public ScoreboardSnapshot snapshot() {
        lock.lock();
        try {
            List<WorkerView> views = new ArrayList<>(workers.size());
            for (Worker worker : workers.values()) {
                views.add(worker.view());
            }
            return new ScoreboardSnapshot(ticker.read(), queue.size(), views);
        } finally {
            lock.unlock();
        }
    }

    /** The counters now. */
    public PoolStatus status() {
        lock.lock();
        try {
            int idleCount = idle.size();        // total also counts the workers that are starting
            int total = workers.size();
            return new PoolStatus(name, strategy.getClass().getSimpleName().replace("Strategy", "").toLowerCase(),
                    startNanos, acceptedConn, queue.size(), maxListenQueue, listenBacklog, idleCount,
                    activeCount(), total, maxActive, maxChildrenReached, rejected, maxQueueWaitNanos, startTime,
                    slowRequests);
        } finally {
            lock.unlock();
        }
    }

    /** The status page now: the counters and the scoreboard taken together, in the pool clock's time zone. */
    public StatusPage statusPage() {
        lock.lock();
        try {
            return new StatusPage(status(), snapshot(), clock.getZone());
        } finally {
            lock.unlock();
        }
    }

    // ---- shutdown

    /**
     * Stops taking requests, lets the running and queued ones finish for up to {@code timeout}, then
     * {@link #shutdownNow()}, and waits (within the same timeout) for the workers to end: child processes have
     * exited when it returns in time.
     */
    public void shutdownGracefully(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        refuseNewRequests();
        awaitDrained(deadline);
        shutdownNow();
        awaitTermination(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    /**
     * After {@link #shutdownNow()}: waits until every worker has ended (its thread returned and its backend closed:
     * a child process has exited), or {@code timeout} passed.
     *
     * @return whether every worker has ended
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (workerThreads > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                threadsEnded.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The first step of a graceful stop: new requests are refused with FCGI_OVERLOADED, no worker starts but for
     * the queue, and idle workers leave at once (FPM's SIGQUIT: idle children exit, busy ones finish first).
     */
    void refuseNewRequests() {
        lock.lock();
        try {
            shutdown = true;
            if (queue.isEmpty()) {
                for (Worker worker : idle) {
                    worker.retire = true;
                    wakeups.get(worker.id).signal();
                }
                idle.clear();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until no request runs or waits, or until {@code deadline} ({@link System#nanoTime()}). */
    void awaitDrained(long deadline) throws InterruptedException {
        lock.lock();
        try {
            while (!queue.isEmpty() || activeCount() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                drained.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops at once: idle workers leave, busy and starting ones are interrupted and leave after their request,
     * and requests still queued are answered with 503 each on a thread of its own, so that none is left without an
     * answer. Idempotent.
     */
    public void shutdownNow() {
        List<Runnable> orphans = new ArrayList<>();
        lock.lock();
        try {
            shutdown = true;
            stopped = true;
            for (Worker worker : workers.values()) {
                worker.retire = true;
                if (worker.state != WorkerState.IDLE && worker.thread != null) {
                    worker.thread.interrupt();
                }
                wakeups.get(worker.id).signal();
            }
            for (Queued queued : queue) {
                orphans.add(queued.job());
            }
            queue.clear();
        } finally {
            lock.unlock();
        }
        orphans.forEach(job -> Thread.ofVirtual().name("pool-" + name + "-orphan").start(() -> {
            CURRENT_POOL.set(this);
            job.run();
        }));
        if (tick != null) {
            tick.cancel(false);
        }
        if (watchdog != null) {
            watchdog.cancel(false);
        }
        if (ownsMaintenance) {
            maintenance.shutdownNow();
        }
    }

    /** {@link #shutdownNow()}. */
    @Override
    public void close() {
        shutdownNow();
    }

    @Override
    public String toString() {
        return "FcgiPool[" + name + ", " + strategy + ']';
    }

    /** Settings of an {@link FcgiPool}. */
    public static final class Builder {
        private final String name;
        private PoolStrategy strategy;
        private WorkerFactory workerFactory;
        private PoolListener listener = PoolListener.NONE;
        private final List<String> limitExtensions = new ArrayList<>();
        private boolean limitExtensionsGiven;
        private boolean terminateTracksFinished;
        private int maxRequests;
        private int listenBacklog = 511;
        private Ticker ticker = Ticker.SYSTEM;
        private ScheduledExecutorService maintenance;
        private Duration heartbeat = Duration.ofSeconds(1);
        private Clock clock = Clock.systemDefaultZone();
        private String statusPath;
        private String pingPath;
        private String pingResponse = "pong";
        private Duration slowlogTimeout = Duration.ZERO;
        private ProcessBudget budget = ProcessBudget.unlimited();
        private Duration terminateTimeout = Duration.ZERO;
        private Duration terminateGrace = Duration.ofSeconds(1);
        private java.nio.file.Path slowlog;
        private int slowlogTraceDepth = 20;
        private java.nio.file.Path accessLog;
        private AccessLogFormat accessFormat = AccessLogFormat.parse(AccessLogFormat.DEFAULT);
        private final List<String> accessSuppressPaths = new ArrayList<>();

        private Builder(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("pool name is empty");
            }
            this.name = name;
        }

        /**
         * Takes {@code pm} and its settings, {@code pm.max_requests}, {@code listen.backlog},
         * {@code pm.status_path}, {@code ping.path}, {@code ping.response}, the slowlog settings and
         * {@code access.log}, {@code access.format} and {@code access.suppress_path[]} from an FPM pool configuration.
         */
        public Builder config(PoolConfig config) {
            strategy(config.strategy()).maxRequests(config.maxRequests()).listenBacklog(config.listenBacklog())
                    .statusPath(config.statusPath()).pingPath(config.pingPath())
                    .requestSlowlogTimeout(config.requestSlowlogTimeout()).slowlog(config.slowlog())
                    .requestSlowlogTraceDepth(config.requestSlowlogTraceDepth())
                    .requestTerminateTimeout(config.requestTerminateTimeout())
                    .requestTerminateTimeoutTrackFinished(config.requestTerminateTimeoutTrackFinished())
                    .accessLog(config.accessLog()).accessFormat(config.accessFormat());
            accessSuppressPaths.clear();
            config.accessSuppressPaths().forEach(this::accessSuppressPath);
            limitExtensions(config.hasSecurityLimitExtensions() ? config.securityLimitExtensions() : List.of());
            limitExtensionsGiven = config.hasSecurityLimitExtensions();
            return config.pingResponse() == null ? this : pingResponse(config.pingResponse());
        }

        /**
         * {@code pm.status_path}: requests for this path (their {@code SCRIPT_NAME}, else {@code DOCUMENT_URI}, else
         * the path of {@code REQUEST_URI}) get the pool's status page, even when every worker is busy; {@code null}
         * for none. Default: none.
         */
        public Builder statusPath(String path) {
            this.statusPath = checkPath("pm.status_path", path);
            return this;
        }

        /** {@code ping.path}: requests for this path get {@link #pingResponse(String)}; {@code null} for none. */
        public Builder pingPath(String path) {
            this.pingPath = checkPath("ping.path", path);
            return this;
        }

        /** {@code ping.response}: the body of the ping page. Default: {@code pong}. */
        public Builder pingResponse(String response) {
            this.pingResponse = Objects.requireNonNull(response, "response");
            return this;
        }

        /**
         * {@code request_slowlog_timeout}: a request running longer is logged once, with its worker thread's stack,
         * and counted in "slow requests"; zero turns it off. Default: off.
         */
        public Builder requestSlowlogTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("request_slowlog_timeout: " + timeout + " (expected: >= 0)");
            }
            this.slowlogTimeout = timeout;
            return this;
        }

        /**
         * {@code request_terminate_timeout}: a request running longer is ended for the web server (504 when nothing
         * was sent yet, else cut short) and its worker interrupted; the clock starts when a worker takes the request,
         * not when a kept connection went idle. Zero turns it off. Default: off.
         */
        public Builder requestTerminateTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("request_terminate_timeout: " + timeout + " (expected: >= 0)");
            }
            this.terminateTimeout = timeout;
            return this;
        }

        /**
         * How long a terminated request's worker may take to stop before the pool abandons it and starts another
         * in its place (FPM never escalates). Default: 1 s.
         */
        public Builder requestTerminateGrace(Duration grace) {
            if (grace.isNegative()) {
                throw new IllegalArgumentException("requestTerminateGrace: " + grace + " (expected: >= 0)");
            }
            this.terminateGrace = grace;
            return this;
        }

        /**
         * {@code request_terminate_timeout_track_finished}: the terminate timeout also ends a request whose handler
         * runs on after {@code finish()} (the worker is Finishing). Default: false, as FPM.
         */
        public Builder requestTerminateTimeoutTrackFinished(boolean track) {
            this.terminateTracksFinished = track;
            return this;
        }

        /**
         * {@code security.limit_extensions}: a request whose {@code SCRIPT_FILENAME} ends with none of these suffixes
         * gets FPM's {@code 403 Access denied.} and a warning; an empty list (the default here) allows every script.
         * A request without {@code SCRIPT_FILENAME} is not checked. A pool given no list (here or by {@link #config})
         * applies its worker factory's default ({@link WorkerFactory#defaultLimitExtensions()}: FPM's
         * {@code .php .phar} for php-cgi children).
         */
        public Builder limitExtensions(List<String> extensions) {
            limitExtensionsGiven = true;
            limitExtensions.clear();
            for (String extension : extensions) {
                if (extension == null || extension.isBlank()) {
                    throw new IllegalArgumentException("security.limit_extensions: an empty extension");
                }
                limitExtensions.add(extension.strip());
            }
            return this;
        }

        /** Metrics: the pool's events (workers started and exited, requests completed...). Default: none. */
        public Builder listener(PoolListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** {@code slowlog}: the file slow requests are appended to; {@code null} logs the warning only. */
        public Builder slowlog(java.nio.file.Path file) {
            this.slowlog = file;
            return this;
        }

        /** {@code request_slowlog_trace_depth}: stack frames written per slow request. Default: 20. */
        public Builder requestSlowlogTraceDepth(int depth) {
            if (depth < 1) {
                throw new IllegalArgumentException("'request_slowlog_trace_depth' (" + depth
                        + ") must be a positive value");
            }
            this.slowlogTraceDepth = depth;
            return this;
        }

        /**
         * {@code access.log}: the file each request's line is appended to, after its handler returns (also when it
         * throws: with status 500 unless the response was committed); {@code null} turns it off. Default: off.
         */
        public Builder accessLog(java.nio.file.Path file) {
            this.accessLog = file;
            return this;
        }

        /**
         * {@code access.format}: the line format, see {@link AccessLogFormat}. Default:
         * {@code %R - %u %t "%m %r" %s}.
         *
         * @throws IllegalArgumentException FPM's message for an invalid format
         */
        public Builder accessFormat(String format) {
            this.accessFormat = AccessLogFormat.parse(format == null ? AccessLogFormat.DEFAULT : format);
            return this;
        }

        /**
         * {@code access.suppress_path[]}: requests whose URI (FPM's {@code request_uri}: {@code SCRIPT_NAME}, else
         * {@code DOCUMENT_URI}, else the path of {@code REQUEST_URI}) is exactly {@code uri} are not logged.
         * Repeatable.
         */
        public Builder accessSuppressPath(String uri) {
            if (uri == null || uri.isEmpty() || uri.charAt(0) != '/') {
                throw new IllegalArgumentException("Values provided to field 'access.suppress_path' must begin with '/'");
            }
            accessSuppressPaths.add(uri);
            return this;
        }

        /** The wall clock for the status page's start times and its time zone. Default: the system's. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        private static String checkPath(String directive, String path) {
            if (path == null || path.isEmpty()) {
                return null;
            }
            if (path.charAt(0) != '/') {
                throw new IllegalArgumentException(directive + ": '" + path + "' (expected: a path starting with /)");
            }
            return path;
        }

        /** {@code process.max}: a budget of workers shared with other pools. Default: unlimited. */
        public Builder processBudget(ProcessBudget budget) {
            this.budget = Objects.requireNonNull(budget, "budget");
            return this;
        }

        /** How many workers run ({@code pm} and its settings). Required. */
        public Builder strategy(PoolStrategy strategy) {
            this.strategy = Objects.requireNonNull(strategy, "strategy");
            return this;
        }

        /**
         * In-JVM workers: each gets its own handler instance from {@code factory}. Required, or
         * {@link #handler(FcgiHandler)} or {@link #workers(WorkerFactory)}.
         */
        public Builder handler(Supplier<? extends FcgiHandler> factory) {
            return workers(WorkerFactory.ofHandler(factory));
        }

        /** What each worker runs: in-JVM handlers, child processes, or your own {@link WorkerFactory}. */
        public Builder workers(WorkerFactory factory) {
            this.workerFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /** One handler instance shared by every worker (it must then be thread-safe). */
        public Builder handler(FcgiHandler handler) {
            Objects.requireNonNull(handler, "handler");
            return handler(() -> handler);
        }

        /** {@code pm.max_requests}: requests a worker serves before it is replaced; 0 for no limit. Default: 0. */
        public Builder maxRequests(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("pm.max_requests: " + n + " (expected: >= 0)");
            }
            this.maxRequests = n;
            return this;
        }

        /**
         * {@code listen.backlog}: requests that may wait for a worker; past it FCGI_OVERLOADED. At least 1 with
         * {@link OnDemandStrategy}, whose requests wait for the worker they start. Default: 511.
         */
        public Builder listenBacklog(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("listen.backlog: " + n + " (expected: >= 0)");
            }
            this.listenBacklog = n;
            return this;
        }

        /** The time source, for tests. Default: {@link Ticker#SYSTEM}. */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** The maintenance thread; a scheduler given here is never shut down by the pool. Default: its own. */
        public Builder maintenance(ScheduledExecutorService scheduler) {
            this.maintenance = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** The maintenance heartbeat (FPM's is 1 s and fixed). Default: 1 s. */
        public Builder heartbeat(Duration heartbeat) {
            if (heartbeat.isNegative() || heartbeat.isZero()) {
                throw new IllegalArgumentException("heartbeat: " + heartbeat + " (expected: > 0)");
            }
            this.heartbeat = heartbeat;
            return this;
        }

        /** Checks that a strategy and the workers are set. */
        public FcgiPool build() {
            if (strategy == null) {
                throw new IllegalStateException("[pool " + name
                        + "] the process manager is missing (static, dynamic or ondemand)");
            }
            if (workerFactory == null) {
                throw new IllegalStateException("[pool " + name + "] no handler set");
            }
            if (statusPath != null && statusPath.equals(pingPath)) {
                throw new IllegalStateException("[pool " + name + "] the status path and the ping path are both "
                        + statusPath);
            }
            if (strategy instanceof OnDemandStrategy && listenBacklog == 0) {
                // ondemand starts a worker for a request that waits in the queue: with no room there, the first
                // request would be refused, no worker would ever start, and so would every later one
                throw new IllegalStateException("[pool " + name + "] listen.backlog 0 with pm = ondemand: no request"
                        + " could wait for the worker it starts (php-fpm raises it to 511)");
            }
            return new FcgiPool(this);
        }
    }
}
