package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.pool.status.StatusPage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Several pools, each on its own listen address, as php-fpm runs the pools of its configuration: a shared
 * {@code process.max}, and {@link #reload(List)} that neither drops nor refuses a request. A reload starts the new
 * pools, switches each listen address to its new pool at once (the listening socket stays open), and lets the old
 * pools finish what they accepted, running and queued, before they stop.
 */
public final class FcgiPoolManager implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(FcgiPoolManager.class);

    private final ProcessBudget budget;
    private final Duration drainTimeout;
    private final PoolListener listener;
    private final EmergencyRestart emergencyRestart;
    private final Ticker ticker;
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private List<PoolDefinition> definitions = List.of();

    /** One listen address and the pool that serves it now. */
    private final class Slot {
        final String listen;
        String statusListen;
        final AtomicReference<FcgiPool> active = new AtomicReference<>();
        FcgiServer server;
        FcgiServer statusServer;        // pm.status_listen, or null

        Slot(String listen) {
            this.listen = listen;
        }

        void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            FcgiPool owner = FcgiPool.currentPool();
            (owner != null ? owner : active.get()).handler().handle(request, response);
        }

        List<FcgiServer> servers() {
            List<FcgiServer> servers = new ArrayList<>(2);
            if (server != null) {
                servers.add(server);
            }
            if (statusServer != null) {
                servers.add(statusServer);
            }
            return servers;
        }

        /** {@code pm.status_listen}: the status page at the pool's status path ("/" when unset), and its ping. */
        void handleStatusOnly(FcgiRequest request, FcgiResponse response) throws Exception {
            FcgiPool pool = active.get();
            String path = RequestInfo.path(request);
            String statusPath = pool.statusPath() == null ? "/" : pool.statusPath();
            if (statusPath.equals(path)) {
                StatusPage.serve(pool::statusPage, request, response);
            } else if (path != null && path.equals(pool.pingPath())) {
                StatusPage.servePing(pool.pingResponse(), request, response);
            } else {
                FcgiPool.answer(response, 404, "File not found.\n");
            }
        }

        void dispatch(FcgiRequest request, Runnable job) {
            for (;;) {
                FcgiPool pool = active.get();
                try {
                    pool.dispatch(request, job);
                    return;
                } catch (RejectedExecutionException e) {
                    if (active.get() == pool) {
                        throw e;
                    }
                    // a reload switched pools between the read and the dispatch: the new pool takes it
                }
            }
        }
    }

    private FcgiPoolManager(Builder builder) {
        this.budget = ProcessBudget.of(builder.processMax);
        this.drainTimeout = builder.drainTimeout;
        this.listener = builder.listener;
        this.emergencyRestart = new EmergencyRestart(builder.emergencyRestartThreshold,
                builder.emergencyRestartInterval);
        this.ticker = builder.ticker;
    }

    /** A builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts every pool and its listener. On failure, what was started is stopped. */
    public synchronized FcgiPoolManager start(List<PoolDefinition> pools) throws IOException {
        try {
            for (PoolDefinition definition : pools) {
                PoolConfig config = definition.config();
                Slot slot = new Slot(config.listen());
                slots.put(config.name(), slot);
                slot.active.set(newPool(definition));
                listen(slot, config);
            }
            definitions = List.copyOf(pools);
            logger.info("started {} pool(s), process.max {}", slots.size(),
                    budget.max() == 0 ? "unlimited" : budget.max());
            return this;
        } catch (IOException | RuntimeException e) {
            shutdownNow();
            throw e;
        }
    }

    private FcgiPool newPool(PoolDefinition definition) {
        return FcgiPool.builder(definition.config().name()).config(definition.config())
                .workers(definition.workers()).processBudget(budget).listener(new PoolEvents()).build().start();
    }

    /** Opens the pool's listener, and its {@code pm.status_listen} listener if it has one. */
    private void listen(Slot slot, PoolConfig config) throws IOException {
        slot.server = server(config, config.listen()).handler(slot::handle).dispatcher(slot::dispatch).build()
                .start();
        listenStatus(slot, config);
    }

    private void listenStatus(Slot slot, PoolConfig config) throws IOException {
        slot.statusListen = config.statusListen();
        slot.statusServer = statusServer(slot, config);
    }

    /** The {@code pm.status_listen} listener for whichever pool serves {@code slot}, or null without one. */
    private static FcgiServer statusServer(Slot slot, PoolConfig config) throws IOException {
        if (config.statusListen() == null) {
            return null;
        }
        // FPM runs a hidden ondemand pool of two children here; our pages need no worker at all
        return server(config, config.statusListen()).handler(slot::handleStatusOnly).maxConnections(16).build()
                .start();
    }

    /**
     * A server on {@code address} with the pool's listen options: {@code listen.allowed_clients} at accept, and
     * {@code listen.owner}, {@code listen.group} and {@code listen.mode} on a Unix socket file.
     */
    private static FcgiServer.Builder server(PoolConfig config, String address) {
        FcgiServer.Builder server = FcgiServer.builder().listen(address)
                .allowedClients(config.listenAllowedClients()).unixSocketMode(config.listenMode());
        if (config.listenOwner() != null) {
            server.unixSocketOwner(config.listenOwner());
        }
        if (config.listenGroup() != null) {
            server.unixSocketGroup(config.listenGroup());
        }
        return server;
    }

    /** The manager's listener on every pool: the host's listener, plus the emergency restart's failure count. */
    private final class PoolEvents implements PoolListener {

        @Override
        public void workerStarted(String pool, long workerId, long pid) {
            listener.workerStarted(pool, workerId, pid);
        }

        @Override
        public void workerStartFailed(String pool, long workerId, Throwable cause) {
            listener.workerStartFailed(pool, workerId, cause);
        }

        @Override
        public void workerExited(String pool, long workerId, String description, boolean failure) {
            if (failure && emergencyRestart.failed(ticker.read())) {
                emergencyReload();
            }
            listener.workerExited(pool, workerId, description, failure);
        }

        @Override
        public void requestCompleted(String pool, long workerId, long queueWaitNanos, long durationNanos,
                                     int status) {
            listener.requestCompleted(pool, workerId, queueWaitNanos, durationNanos, status);
        }

        @Override
        public void requestRejected(String pool) {
            listener.requestRejected(pool);
        }

        @Override
        public void slowRequest(String pool, long workerId, RequestInfo request, long elapsedNanos) {
            listener.slowRequest(pool, workerId, request, elapsedNanos);
        }

        @Override
        public void requestTerminated(String pool, long workerId, RequestInfo request, long elapsedNanos) {
            listener.requestTerminated(pool, workerId, request, elapsedNanos);
        }

        @Override
        public void maxChildrenReached(String pool) {
            listener.maxChildrenReached(pool);
        }
    }

    /**
     * {@code emergency_restart_threshold} failures within {@code emergency_restart_interval}: every pool is
     * reloaded with its current definition, as FPM does on SIGUSR2. Runs on a thread of its own, never on the worker
     * thread that reported the failure.
     */
    private void emergencyReload() {
        logger.warn("failed processes threshold ({} in {} sec) is reached, initiating reload",
                emergencyRestart.threshold(), emergencyRestart.intervalSeconds());
        Thread.ofPlatform().name("fcgi-emergency-reload").daemon(true).start(() -> {
            try {
                synchronized (this) {
                    if (!slots.isEmpty()) {     // not stopped meanwhile
                        reload(definitions);
                    }
                }
            } catch (IOException | RuntimeException e) {
                logger.error("emergency reload failed", e);
            }
        });
    }

    /** The pool named {@code name} that serves new requests now, or {@code null}. */
    public synchronized FcgiPool pool(String name) {
        Slot slot = slots.get(name);
        return slot == null ? null : slot.active.get();
    }

    /** The names of the running pools. */
    public synchronized List<String> poolNames() {
        return List.copyOf(slots.keySet());
    }

    /** The shared {@code process.max} budget. */
    public ProcessBudget processBudget() {
        return budget;
    }

    /**
     * Replaces the pools with {@code pools}, matched by name, without dropping or refusing a request: a pool whose
     * listen address is unchanged gets a new pool behind the same socket; a new or moved one gets a new listener;
     * a pool no longer defined finishes its requests and stops. Old pools drain in the background, for at most the
     * drain timeout.
     */
    public synchronized void reload(List<PoolDefinition> pools) throws IOException {
        // first start every new pool and open every new listener; if one fails, nothing has changed
        List<Prepared> prepared = new ArrayList<>();
        try {
            for (PoolDefinition definition : pools) {
                prepared.add(prepare(definition));
            }
        } catch (IOException | RuntimeException e) {
            for (Prepared p : prepared) {
                p.discard();
            }
            logger.error("reload failed, the running pools are unchanged: {}", e.toString());
            throw e;
        }
        // then switch
        Map<String, Slot> kept = new LinkedHashMap<>();
        List<FcgiPool> retired = new ArrayList<>();
        List<FcgiServer> closed = new ArrayList<>();
        for (Prepared p : prepared) {
            String name = p.definition.config().name();
            Slot old = slots.remove(name);
            if (p.fresh == null) {
                retired.add(old.active.getAndSet(p.pool));
                if (p.statusChanged) {
                    if (old.statusServer != null) {
                        closed.add(old.statusServer);
                    }
                    old.statusServer = p.statusServer;
                    old.statusListen = p.definition.config().statusListen();
                }
                kept.put(name, old);
            } else {
                if (old != null) {
                    retired.add(old.active.get());
                    closed.addAll(old.servers());
                }
                kept.put(name, p.fresh);
            }
        }
        for (Slot gone : slots.values()) {
            retired.add(gone.active.get());
            closed.addAll(gone.servers());
        }
        slots.clear();
        slots.putAll(kept);
        definitions = List.copyOf(pools);
        logger.info("reloaded: {} pool(s); {} old pool(s) finish their requests", slots.size(), retired.size());
        Thread.ofPlatform().name("fcgi-reload-drain").daemon(true).start(() -> drain(retired, closed));
    }

    /** A pool of a reload, started, with its new listeners open, not yet serving. */
    private static final class Prepared {
        PoolDefinition definition;
        FcgiPool pool;
        Slot fresh;                     // a new listen address: a slot of its own; null when the socket is kept
        boolean statusChanged;
        FcgiServer statusServer;        // the new pm.status_listen listener of a kept slot, or null

        void discard() {
            pool.shutdownNow();
            if (fresh != null) {
                closeServers(fresh);
            }
            if (statusServer != null) {
                statusServer.close();
            }
        }
    }

    private Prepared prepare(PoolDefinition definition) throws IOException {
        PoolConfig config = definition.config();
        Prepared p = new Prepared();
        p.definition = definition;
        p.pool = newPool(definition);
        try {
            Slot current = slots.get(config.name());
            if (current != null && current.listen.equals(config.listen())) {
                p.statusChanged = !Objects.equals(current.statusListen, config.statusListen());
                if (p.statusChanged) {
                    p.statusServer = statusServer(current, config);
                }
            } else {
                p.fresh = new Slot(config.listen());
                p.fresh.active.set(p.pool);
                listen(p.fresh, config);
            }
            return p;
        } catch (IOException | RuntimeException e) {
            p.discard();
            throw e;
        }
    }

    private void drain(List<FcgiPool> pools, List<FcgiServer> servers) {
        for (FcgiPool pool : pools) {
            try {
                pool.shutdownGracefully(drainTimeout);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pool.shutdownNow();
            }
        }
        servers.forEach(FcgiServer::close);
    }

    /**
     * Stops every pool gracefully, as FPM's SIGQUIT: the listeners stop accepting at once (new connections are
     * refused by the operating system) and idle connections close; requests already begun, running or queued, finish
     * within {@code timeout} in all, each connection closing after its last one; then the pools stop, and it waits
     * (within the same timeout) for their workers to end: child processes have exited when it returns in time.
     */
    public synchronized void shutdownGracefully(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<FcgiPool> pools = new ArrayList<>();
        List<FcgiServer> servers = new ArrayList<>();
        for (Slot slot : slots.values()) {
            pools.add(slot.active.get());
            servers.addAll(slot.servers());
        }
        servers.forEach(FcgiServer::drain);
        for (FcgiServer server : servers) {
            server.awaitDrained(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (FcgiPool pool : pools) {
            pool.refuseNewRequests();       // handlers that go on after finish() are all that can still run
            pool.awaitDrained(deadline);
        }
        shutdownNow();
        for (FcgiPool pool : pools) {
            pool.awaitTermination(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
    }

    /** Stops every pool and listener at once. Idempotent. */
    public synchronized void shutdownNow() {
        for (Slot slot : slots.values()) {
            FcgiPool pool = slot.active.get();
            if (pool != null) {
                pool.shutdownNow();
            }
            closeServers(slot);
        }
        slots.clear();
    }

    private static void closeServers(Slot slot) {
        slot.servers().forEach(FcgiServer::close);
    }

    /** {@link #shutdownNow()}. */
    @Override
    public void close() {
        shutdownNow();
    }

    /** Settings of an {@link FcgiPoolManager}. */
    public static final class Builder {
        private int processMax;
        private Duration drainTimeout = Duration.ofSeconds(30);
        private PoolListener listener = PoolListener.NONE;
        private int emergencyRestartThreshold;
        private Duration emergencyRestartInterval = Duration.ZERO;
        private Ticker ticker = Ticker.SYSTEM;

        private Builder() {
        }

        /**
         * {@code emergency_restart_threshold} and {@code emergency_restart_interval}: when {@code threshold} workers
         * fail (a child process that exits on a signal, a fatal JVM error in a handler) within {@code interval},
         * every pool is reloaded, as FPM does. Either zero turns it off. Default: off.
         */
        public Builder emergencyRestart(int threshold, Duration interval) {
            new EmergencyRestart(threshold, Objects.requireNonNull(interval, "interval"));
            this.emergencyRestartThreshold = threshold;
            this.emergencyRestartInterval = interval;
            return this;
        }

        /** Metrics: the events of every pool. Default: none. */
        public Builder listener(PoolListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** The time source of the emergency restart's interval, for tests. Default: {@link Ticker#SYSTEM}. */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** {@code process.max}: workers across all pools at most; 0 for no limit. Default: 0. */
        public Builder processMax(int max) {
            ProcessBudget.of(max);
            this.processMax = max;
            return this;
        }

        /** How long old pools may take to finish their requests after a reload. Default: 30 s. */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** The manager, with no pool running yet: see {@link FcgiPoolManager#start(List)}. */
        public FcgiPoolManager build() {
            return new FcgiPoolManager(this);
        }
    }
}
