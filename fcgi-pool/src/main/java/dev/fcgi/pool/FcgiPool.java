package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiDispatcher;
import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.pool.status.StatusPage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A pool of workers that run an {@link FcgiHandler}, managed like a PHP-FPM pool: a {@link PoolStrategy} decides
 * how many workers run, each worker is a platform thread with its own handler instance, requests (not
 * connections) are dispatched, so a kept connection never pins a worker, and requests that find no idle worker
 * wait in a bounded queue ({@code listen.backlog}); past it they are refused with FCGI_OVERLOADED.
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
    /** Status and ping requests answered at once; more at the same time are refused with FCGI_OVERLOADED. */
    static final int MAX_CONCURRENT_OWN_PAGES = 16;

    private final String name;
    private final PoolStrategy strategy;
    private final Supplier<FcgiHandler> handlerFactory;
    private final ProcessBudget budget;
    private volatile FcgiHandler serverHandler;
    private final int maxRequests;
    private final int listenBacklog;
    private final Ticker ticker;
    private final ScheduledExecutorService maintenance;
    private final boolean ownsMaintenance;
    private final Duration heartbeat;
    private final Clock clock;
    private final String statusPath;
    private final String pingPath;
    private final String pingResponse;
    private final long slowlogTimeoutNanos;
    private final long terminateTimeoutNanos;
    private final long terminateGraceNanos;
    private final SlowLog slowLog;
    private final AccessLog accessLog;        // null when off

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition drained = lock.newCondition();
    private final Map<Long, Worker> workers = new LinkedHashMap<>();
    private final ArrayDeque<Worker> idle = new ArrayDeque<>();       // most recently used first
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    private final Map<Long, Condition> wakeups = new LinkedHashMap<>();
    private final AtomicBoolean queueEventPending = new AtomicBoolean();
    private final Semaphore ownPages = new Semaphore(MAX_CONCURRENT_OWN_PAGES);
    private long nextWorkerId = 1;
    private long startNanos;
    private Instant startTime = Instant.EPOCH;
    private long slowRequests;
    private long acceptedConn;
    private int maxListenQueue;
    private int maxActive;
    private long maxChildrenReached;
    private long rejected;
    private long maxQueueWaitNanos;
    private boolean shutdown;
    private ScheduledFuture<?> tick;
    private ScheduledFuture<?> watchdog;

    private record Queued(Runnable job, RequestInfo info, long sinceNanos, Instant acceptTime) {
    }

    private FcgiPool(Builder builder) {
        this.name = builder.name;
        this.strategy = builder.strategy;
        this.handlerFactory = builder.handlerFactory;
        this.budget = builder.budget;
        this.maxRequests = builder.maxRequests;
        this.listenBacklog = builder.listenBacklog;
        this.ticker = builder.ticker;
        this.heartbeat = builder.heartbeat;
        this.clock = builder.clock;
        this.statusPath = builder.statusPath;
        this.pingPath = builder.pingPath;
        this.pingResponse = builder.pingResponse;
        this.slowlogTimeoutNanos = builder.slowlogTimeout.toNanos();
        this.terminateTimeoutNanos = builder.terminateTimeout.toNanos();
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

    /** Starts the strategy's initial workers and the maintenance heartbeat. */
    public FcgiPool start() {
        lock.lock();
        try {
            startNanos = ticker.read();
            startTime = clock.instant();
        } finally {
            lock.unlock();
        }
        spawn(strategy.initialWorkers());
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
     * The handler to give the server (the same instance every time): it answers the status and ping pages itself
     * and runs every other request on the current worker's own handler instance (or, off a worker thread, a shared
     * one).
     */
    public FcgiHandler handler() {
        FcgiHandler handler = serverHandler;
        if (handler == null) {
            synchronized (this) {
                if (serverHandler == null) {
                    serverHandler = newServerHandler();
                }
                handler = serverHandler;
            }
        }
        return handler;
    }

    private FcgiHandler newServerHandler() {
        FcgiHandler shared = handlerFactory.get();
        return (request, response) -> {
            Worker worker = CURRENT.get();
            if (worker == null) {
                serve(null, shared, request, response);
                return;
            }
            if (!setResponse(worker, response)) {
                response.terminate(504, "request_terminate_timeout: the request was terminated before it started");
                return;
            }
            try {
                serve(worker, shared, request, response);
            } finally {
                setResponse(worker, null);
            }
        };
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

    /** Runs one request on this thread: the pool's own pages, or the worker's handler; then the access log. */
    private void serve(Worker worker, FcgiHandler shared, FcgiRequest request, FcgiResponse response)
            throws Exception {
        if (accessLog == null) {
            if (worker == null && answerOwnPage(request, response)) {
                return;
            }
            (worker != null ? worker.handler : shared).handle(request, response);
            return;
        }
        long acceptNanos;
        Instant acceptTime;
        if (worker != null && worker.acceptTime != null) {
            acceptNanos = worker.acceptNanos;
            acceptTime = worker.acceptTime;
        } else {
            acceptNanos = ticker.read();
            acceptTime = clock.instant();
        }
        long[] before = AccessLog.threadUsage();
        boolean failed = true;
        try {
            if (worker == null && answerOwnPage(request, response)) {
                failed = false;
                return;
            }
            (worker != null ? worker.handler : shared).handle(request, response);
            failed = false;
        } finally {
            logAccess(worker, request, response, failed, acceptNanos, acceptTime, before);
        }
    }

    /** Appends the access log line of a request that just ended on this thread (FPM: after fpm_request_end). */
    private void logAccess(Worker worker, FcgiRequest request, FcgiResponse response, boolean failed,
                           long acceptNanos, Instant acceptTime, long[] before) {
        try {
            long[] after = AccessLog.threadUsage();
            long endNanos = ticker.read();
            RequestInfo info = request == null ? null : RequestInfo.of(request);
            if (info != null && accessLog.suppressed(info.uri())) {
                return;
            }
            int status = failed && !response.isCommitted() ? 500 : response.status();
            long cpu = after[0] - before[0];
            long user = Math.min(cpu, after[1] - before[1]);
            accessLog.write(new AccessLogEntry(name, worker == null ? 0 : worker.id, info,
                    request == null ? null : request.params(), request == null ? null : request.peerAddress(),
                    status, response::header, acceptTime, endNanos - acceptNanos, user, cpu - user,
                    after[2] - before[2], clock.instant()));
        } catch (RuntimeException e) {
            logger.error("[pool {}] access log failed", name, e);
        }
    }

    /** The configured status path ({@code pm.status_path}), or {@code null}. */
    public String statusPath() {
        return statusPath;
    }

    /** The configured ping path ({@code ping.path}), or {@code null}. */
    public String pingPath() {
        return pingPath;
    }

    /** The body of the ping page ({@code ping.response}). */
    public String pingResponse() {
        return pingResponse;
    }

    /** Which of the pool's own pages {@code request} asks for: 1 status, 2 ping, 0 none. */
    private int ownPage(FcgiRequest request) {
        if (request == null || (statusPath == null && pingPath == null)) {
            return 0;
        }
        String path = RequestInfo.path(request);
        if (path == null) {
            return 0;
        }
        if (path.equals(statusPath)) {
            return 1;
        }
        return path.equals(pingPath) ? 2 : 0;
    }

    private boolean answerOwnPage(FcgiRequest request, FcgiResponse response) throws Exception {
        switch (ownPage(request)) {
            case 1 -> StatusPage.serve(this::statusPage, request, response);
            case 2 -> StatusPage.servePing(pingResponse, request, response);
            default -> {
                return false;
            }
        }
        return true;
    }

    // ---- dispatching

    @Override
    public void dispatch(FcgiRequest request, Runnable job) {
        Objects.requireNonNull(job, "job");
        if (ownPage(request) != 0) {
            // the status and ping pages never wait for a worker: they must answer when every worker is busy
            if (!ownPages.tryAcquire()) {
                throw new RejectedExecutionException("[pool " + name + "] " + MAX_CONCURRENT_OWN_PAGES
                        + " status or ping requests run already");
            }
            lock.lock();
            try {
                acceptedConn++;
            } finally {
                lock.unlock();
            }
            try {
                Thread.ofVirtual().name("pool-" + name + "-status").start(() -> {
                    try {
                        job.run();
                    } finally {
                        ownPages.release();
                    }
                });
            } catch (RuntimeException | Error e) {
                ownPages.release();
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
            if (worker != null) {
                assign(worker, job, info, acceptTime);
                queued = false;
            } else if (queue.size() >= listenBacklog) {
                rejected++;
                throw new RejectedExecutionException("[pool " + name + "] " + queue.size()
                        + " requests wait for a worker (listen.backlog = " + listenBacklog + ")");
            } else {
                queue.addLast(new Queued(job, info, ticker.read(), acceptTime));
                maxListenQueue = Math.max(maxListenQueue, queue.size());
                queued = true;
            }
            acceptedConn++;
        } finally {
            lock.unlock();
        }
        if (queued) {
            onRequestQueued();
        }
    }

    /** Gives {@code job} to an idle worker taken off the idle stack. Under the lock. */
    private void assign(Worker worker, Runnable job, RequestInfo info, Instant acceptTime) {
        long now = ticker.read();
        worker.take(job, info, now);
        worker.accepted(now, acceptTime);
        maxActive = Math.max(maxActive, workers.size() - idle.size());
        wakeups.get(worker.id).signal();
    }

    private void runWorker(Worker worker) {
        CURRENT.set(worker);
        CURRENT_POOL.set(this);
        try {
            for (;;) {
                Runnable job;
                lock.lock();
                try {
                    while (worker.next == null && !worker.retire) {
                        wakeups.get(worker.id).awaitUninterruptibly();
                    }
                    if (worker.next == null) {
                        remove(worker);
                        return;
                    }
                    job = worker.next;
                    worker.next = null;
                } finally {
                    lock.unlock();
                }
                try {
                    job.run();
                } catch (Throwable t) {
                    logger.error("[pool {}] worker {}: request failed outside its handler", name, worker.id, t);
                }
                Thread.interrupted(); // an interrupt for this request must not reach the next one
                int next = afterRequest(worker);
                if (next != CONTINUE) {
                    if (next == EXIT_AND_REPLACE) {
                        onWorkerExited(worker);
                    }
                    return;
                }
            }
        } finally {
            CURRENT.remove();
            CURRENT_POOL.remove();
        }
    }

    /** The pool whose worker runs on this thread, or {@code null}. */
    static FcgiPool currentPool() {
        return CURRENT_POOL.get();
    }

    private static final int CONTINUE = 0;
    private static final int EXIT_AND_REPLACE = 1;
    private static final int EXIT = 2;

    /**
     * Books a finished request and finds the worker's next job: {@link #CONTINUE}, or the worker leaves the pool,
     * to be replaced ({@link #EXIT_AND_REPLACE}) or not ({@link #EXIT}: it was abandoned and replaced already).
     */
    private int afterRequest(Worker worker) {
        lock.lock();
        try {
            if (worker.abandoned) {
                return EXIT;
            }
            worker.requests++;
            long now = ticker.read();
            worker.finished(now);
            if ((maxRequests > 0 && worker.requests >= maxRequests) || worker.retire) {
                remove(worker);
                return EXIT_AND_REPLACE;
            }
            Queued queued = queue.pollFirst();
            if (queued != null) {
                worker.take(queued.job(), queued.info(), now);
                worker.accepted(queued.sinceNanos(), queued.acceptTime());
                maxQueueWaitNanos = Math.max(maxQueueWaitNanos, now - queued.sinceNanos());
            } else {
                worker.enter(WorkerState.IDLE, now);
                idle.addFirst(worker);
                if (idle.size() == workers.size()) {
                    drained.signalAll();
                }
            }
            return CONTINUE;
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

    /** Starts up to {@code n} workers (fewer at the strategy's maximum); each takes a queued request at once. */
    private void spawn(int n) {
        lock.lock();
        try {
            for (int i = 0; i < n && !shutdown && workers.size() < strategy.maxWorkers(); i++) {
                if (!budget.tryAcquire()) {
                    logger.warn("[pool {}] The maximum number of processes has been reached. Please review your"
                            + " configuration and consider raising 'process.max'", name);
                    break;
                }
                long now = ticker.read();
                Worker worker = new Worker(nextWorkerId++, handlerFactory.get(), now);
                workers.put(worker.id, worker);
                wakeups.put(worker.id, lock.newCondition());
                Queued queued = queue.pollFirst();
                if (queued != null) {
                    worker.take(queued.job(), queued.info(), now);
                    worker.accepted(queued.sinceNanos(), queued.acceptTime());
                    maxQueueWaitNanos = Math.max(maxQueueWaitNanos, now - queued.sinceNanos());
                    maxActive = Math.max(maxActive, workers.size() - idle.size());
                } else {
                    idle.addLast(worker);
                }
                worker.thread = Thread.ofPlatform().name("pool-" + name + "-worker-" + worker.id).daemon(true)
                        .start(() -> runWorker(worker));
            }
        } finally {
            lock.unlock();
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

    private void onWorkerExited(Worker worker) {
        try {
            maintenance.execute(() -> decideSafely(() -> strategy.onWorkerExited(snapshot())));
        } catch (RejectedExecutionException e) {
            logger.debug("[pool {}] worker {} left after shutdown", name, worker.id);
        }
    }

    private void tickSafely() {
        decideSafely(() -> strategy.onTick(snapshot()));
    }

    private void decideSafely(Supplier<PoolDecision> decision) {
        try {
            apply(decision.get());
        } catch (RuntimeException e) {
            logger.error("[pool {}] maintenance failed", name, e);
        }
    }

    private record SlowRequest(long workerId, RequestInfo request, long elapsedNanos, Thread thread,
                               FcgiResponse response) {
    }

    /**
     * The request watchdog, at FPM's request heartbeat: writes each request running past
     * {@code request_slowlog_timeout} to the slowlog (once per request), ends each one past
     * {@code request_terminate_timeout} for the web server and interrupts its worker (in a tick where the slowlog
     * fires, termination waits, as in FPM), and abandons a worker that has not stopped {@code terminateGrace} after
     * that: it leaves the pool and a new worker replaces it (FPM never escalates).
     */
    private void watchRequests() {
        List<SlowRequest> slow = new ArrayList<>();
        List<SlowRequest> terminate = new ArrayList<>();
        List<Worker> abandoned = new ArrayList<>();
        lock.lock();
        try {
            long now = ticker.read();
            for (Worker worker : new ArrayList<>(workers.values())) {
                if (worker.state != WorkerState.RUNNING || worker.requestStartNanos < 0) {
                    continue;
                }
                long elapsed = now - worker.requestStartNanos;
                SlowRequest request = new SlowRequest(worker.id, worker.request, elapsed, worker.thread,
                        worker.response);
                if (slowlogTimeoutNanos > 0 && !worker.slowLogged && elapsed >= slowlogTimeoutNanos) {
                    worker.slowLogged = true;
                    slowRequests++;
                    slow.add(request);
                } else if (terminateTimeoutNanos > 0 && elapsed >= terminateTimeoutNanos) {
                    if (worker.terminatedAtNanos < 0) {
                        worker.terminatedAtNanos = now;
                        terminate.add(request);
                    } else if (now - worker.terminatedAtNanos >= terminateGraceNanos) {
                        worker.abandoned = true;
                        remove(worker);
                        abandoned.add(worker);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        for (SlowRequest request : slow) {
            StackTraceElement[] stack = request.thread() == null ? new StackTraceElement[0]
                    : request.thread().getStackTrace();
            slowLog.log(request.workerId(), request.request(), request.elapsedNanos(), stack,
                    clock.instant().atZone(clock.getZone()));
        }
        for (SlowRequest request : terminate) {
            logger.warn("[pool {}] child {}, script '{}' (request: \"{}\") execution timed out ({} sec), terminating",
                    name, request.workerId(), SlowLog.script(request.request()), SlowLog.requestLine(request.request()),
                    SlowLog.seconds(request.elapsedNanos()));
            if (request.response() != null) {
                request.response().terminate(504, "request_terminate_timeout: the request ran for "
                        + SlowLog.seconds(request.elapsedNanos()) + " s");
            }
            if (request.thread() != null) {
                request.thread().interrupt();
            }
        }
        for (Worker worker : abandoned) {
            logger.warn("[pool {}] child {} did not stop {} ms after it was terminated; it is abandoned and replaced",
                    name, worker.id, TimeUnit.NANOSECONDS.toMillis(terminateGraceNanos));
            onWorkerExited(worker);
        }
    }

    private void watchSafely() {
        try {
            watchRequests();
        } catch (RuntimeException e) {
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
            int idleCount = idle.size();
            int total = workers.size();
            return new PoolStatus(name, strategy.getClass().getSimpleName().replace("Strategy", "").toLowerCase(),
                    startNanos, acceptedConn, queue.size(), maxListenQueue, listenBacklog, idleCount,
                    total - idleCount, total, maxActive, maxChildrenReached, rejected, maxQueueWaitNanos, startTime,
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
     * {@link #shutdownNow()}.
     */
    public void shutdownGracefully(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            shutdown = true;
            while (!queue.isEmpty() || idle.size() < workers.size()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                drained.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
        shutdownNow();
    }

    /**
     * Stops at once: idle workers leave, busy ones are interrupted and leave after their request, and requests
     * still queued run each on a thread of its own, so that none is left without an answer. Idempotent.
     */
    public void shutdownNow() {
        List<Runnable> orphans = new ArrayList<>();
        lock.lock();
        try {
            shutdown = true;
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
        orphans.forEach(job -> Thread.ofVirtual().name("pool-" + name + "-orphan").start(job));
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
        private Supplier<FcgiHandler> handlerFactory;
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
                    .accessLog(config.accessLog()).accessFormat(config.accessFormat());
            accessSuppressPaths.clear();
            config.accessSuppressPaths().forEach(this::accessSuppressPath);
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

        /** Creates each worker's own handler instance. Required (or {@link #handler(FcgiHandler)}). */
        public Builder handler(Supplier<FcgiHandler> factory) {
            this.handlerFactory = Objects.requireNonNull(factory, "factory");
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

        /** {@code listen.backlog}: requests that may wait for a worker; past it FCGI_OVERLOADED. Default: 511. */
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

        /** Checks that a strategy and a handler are set. */
        public FcgiPool build() {
            if (strategy == null) {
                throw new IllegalStateException("[pool " + name
                        + "] the process manager is missing (static, dynamic or ondemand)");
            }
            if (handlerFactory == null) {
                throw new IllegalStateException("[pool " + name + "] no handler set");
            }
            if (statusPath != null && statusPath.equals(pingPath)) {
                throw new IllegalStateException("[pool " + name + "] the status path and the ping path are both "
                        + statusPath);
            }
            return new FcgiPool(this);
        }
    }
}
