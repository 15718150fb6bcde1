package dev.fcgi.benchmarks.load;

import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.Multiplexing;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Runs one load test against a backend with an {@link FcgiClient}: {@code -c} {@link VirtualUser}s spread over
 * the event loops, as many connections as users (fewer when the backend multiplexes), and a {@link LoadPlan} that
 * decides when they stop. Single use: build, {@link #run()}, {@link #close()}.
 */
final class LoadGenerator implements AutoCloseable {

    /** How long a stopped run waits for the requests in flight before it reports without them. */
    private static final long STOP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long past its duration and request timeout a run may take before it is stopped regardless. */
    private static final long OVERTIME_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final LoadOptions options;
    private final EventExecutor[] loops;
    private final int perConnection;
    /** When {@link #stop()} was called ({@link System#nanoTime()}, made odd so that it is never 0), or 0. */
    private volatile long stopRequestedAt;
    private volatile LoadPlan plan;

    final FcgiClient client;
    final RequestMix mix;
    final FcgiClientRequest[] requests;
    final LoadStats stats;
    final ThreadFactory bodyThreads = Thread.ofVirtual().name("fcgi-load-body-", 0).factory();

    /**
     * @param backend what the backend answered to GET_VALUES: multiplexing is used only when it says it can
     * @param group   the event loops for the client and the users, left running by {@link #close()}
     */
    LoadGenerator(LoadOptions options, BackendInfo backend, EventLoopGroup group) {
        this.options = options;
        List<EventExecutor> executors = new ArrayList<>();
        group.forEach(executors::add);
        loops = executors.toArray(new EventExecutor[0]);
        int mpx = options.multiplex() > 1 && backend.multiplexes() ? options.multiplex() : 1;
        perConnection = backend.maxRequests() > 0 ? Math.min(mpx, backend.maxRequests()) : mpx;
        int connections = (options.connections() + perConnection - 1) / perConnection;
        Duration connectTimeout = options.timeout().compareTo(Duration.ofSeconds(5)) < 0
                ? options.timeout() : Duration.ofSeconds(5);
        client = FcgiClient.builder()
                .address(options.address())
                .eventLoopGroup(group)
                .maxConnections(connections)
                .keepConn(options.keepConn())
                .multiplexing(perConnection > 1 ? Multiplexing.ON : Multiplexing.OFF)
                .maxRequestsPerConnection(perConnection)
                .connectTimeout(connectTimeout)
                .requestTimeout(options.timeout())
                .callbackExecutor(Runnable::run)
                .build();
        mix = options.mix();
        List<RequestMix.Kind> kinds = mix.kinds();
        requests = new FcgiClientRequest[kinds.size()];
        for (int i = 0; i < requests.length; i++) {
            requests[i] = options.template().build(kinds.get(i));
        }
        stats = new LoadStats(kinds.size());
    }

    /** What the run is: for the line printed before it and for the report. */
    LoadReport.Run describe() {
        List<RequestMix.Kind> kinds = mix.kinds();
        return new LoadReport.Run(options.target(), options.connections(), loops.length, options.keepConn(),
                perConnection, options.rate(), kinds.stream().map(RequestMix.Kind::label).toList(),
                kinds.stream().map(RequestMix.Kind::weight).toList());
    }

    /** Runs the test: returns once every user has stopped (or, after {@link #stop()}, a second later). */
    LoadReport run() throws InterruptedException {
        int users = options.connections();
        long warmup = options.warmup().toNanos();
        long duration = options.duration().toNanos();
        long start = System.nanoTime();
        LoadPlan p = new LoadPlan(start, warmup, duration, options.requests(), users);
        plan = p;
        if (stopRequestedAt != 0) {
            p.stop();
        }
        double rate = options.rate();
        long interval = rate > 0 ? (long) (users * 1e9 / rate) : 0;
        for (int i = 0; i < users; i++) {
            VirtualUser user = new VirtualUser(this, p, loops[i % loops.length], interval);
            user.start(rate > 0 ? start + (long) (i * 1e9 / rate) : start);
        }
        long hardEnd = start + warmup + duration + options.timeout().toNanos() + OVERTIME_NANOS;
        while (!p.awaitFinished(POLL_NANOS)) {
            long now = System.nanoTime();
            long stopAt = stopRequestedAt;
            if (now - hardEnd > 0 || (stopAt != 0 && now - stopAt > STOP_GRACE_NANOS)) {
                p.stop();
                break;
            }
        }
        return stats.report(describe(), p.measuredNanos());
    }

    /** Stops sending (from any thread, for example a shutdown hook); {@link #run()} then reports. */
    void stop() {
        stopRequestedAt = System.nanoTime() | 1;
        LoadPlan p = plan;
        if (p != null) {
            p.stop();
        }
    }

    /** The event loop running the calling thread, or null when it is none of the client's. */
    EventExecutor currentLoop() {
        for (EventExecutor loop : loops) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return null;
    }

    /** Stops the users and closes the client (the requests still in flight fail unrecorded). */
    @Override
    public void close() {
        LoadPlan p = plan;
        if (p != null) {
            p.stop();
        }
        client.close();
    }
}
