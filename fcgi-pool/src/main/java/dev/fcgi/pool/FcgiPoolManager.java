package dev.fcgi.pool;

import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;
import dev.fcgi.protocol.server.FcgiServer;
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
    private final Map<String, Slot> slots = new LinkedHashMap<>();

    /** One listen address and the pool that serves it now. */
    private final class Slot {
        final String listen;
        final AtomicReference<FcgiPool> active = new AtomicReference<>();
        FcgiServer server;

        Slot(String listen) {
            this.listen = listen;
        }

        void handle(FcgiRequest request, FcgiResponse response) throws Exception {
            FcgiPool owner = FcgiPool.currentPool();
            (owner != null ? owner : active.get()).handler().handle(request, response);
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
                slot.active.set(newPool(definition));
                slot.server = FcgiServer.builder().listen(config.listen()).handler(slot::handle)
                        .dispatcher(slot::dispatch).build().start();
                slots.put(config.name(), slot);
            }
            logger.info("ready to handle connections: {} pool(s), process.max {}", slots.size(),
                    budget.max() == 0 ? "unlimited" : budget.max());
            return this;
        } catch (IOException | RuntimeException e) {
            shutdownNow();
            throw e;
        }
    }

    private FcgiPool newPool(PoolDefinition definition) {
        return FcgiPool.builder(definition.config().name()).config(definition.config())
                .handler(definition.handlers()).processBudget(budget).build().start();
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
        Map<String, Slot> kept = new LinkedHashMap<>();
        List<FcgiPool> retired = new ArrayList<>();
        List<FcgiServer> closed = new ArrayList<>();
        for (PoolDefinition definition : pools) {
            PoolConfig config = definition.config();
            Slot slot = slots.remove(config.name());
            if (slot != null && slot.listen.equals(config.listen())) {
                retired.add(slot.active.getAndSet(newPool(definition)));
                kept.put(config.name(), slot);
                continue;
            }
            if (slot != null) {
                retired.add(slot.active.get());
                closed.add(slot.server);
            }
            Slot fresh = new Slot(config.listen());
            fresh.active.set(newPool(definition));
            fresh.server = FcgiServer.builder().listen(config.listen()).handler(fresh::handle)
                    .dispatcher(fresh::dispatch).build().start();
            kept.put(config.name(), fresh);
        }
        for (Slot gone : slots.values()) {
            retired.add(gone.active.get());
            closed.add(gone.server);
        }
        slots.clear();
        slots.putAll(kept);
        logger.info("reloaded: {} pool(s); {} old pool(s) finish their requests", slots.size(), retired.size());
        Thread.ofPlatform().name("fcgi-reload-drain").daemon(true).start(() -> drain(retired, closed));
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
     * Stops every pool gracefully: new requests are refused (FCGI_OVERLOADED), running and queued ones finish for
     * up to {@code timeout}, then the listeners close.
     */
    public synchronized void shutdownGracefully(Duration timeout) throws InterruptedException {
        for (Slot slot : slots.values()) {
            slot.active.get().shutdownGracefully(timeout);
        }
        shutdownNow();
    }

    /** Stops every pool and listener at once. Idempotent. */
    public synchronized void shutdownNow() {
        for (Slot slot : slots.values()) {
            FcgiPool pool = slot.active.get();
            if (pool != null) {
                pool.shutdownNow();
            }
            if (slot.server != null) {
                slot.server.close();
            }
        }
        slots.clear();
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

        private Builder() {
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
