package dev.fcgi.benchmarks.load;

import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.Multiplexing;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Runs one load test against a backend: {@code -c} {@link VirtualUser}s and a {@link LoadPlan} that decides when
 * they stop. Each I/O thread is an event loop group of its own with an {@link FcgiClient} of its own, and each
 * user stays on one of them, as wrk gives each thread its own connections: a user's request, its connection, its
 * timeout timer and its response all run on one thread, with no hand-over between threads. Each client has as
 * many connections as it has users (fewer when the backend multiplexes). Single use: build, {@link #run()},
 * {@link #close()}.
 */
final class LoadGenerator implements AutoCloseable {

    /** How long a stopped run waits for the requests in flight before it reports without them. */
    private static final long STOP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final LoadOptions options;
    private final EventExecutor[] loops;
    private final FcgiClient[] clients;
    private final int perConnection;
    /** When {@link #stop()} was called ({@link System#nanoTime()}, made odd so that it is never 0), or 0. */
    private volatile long stopRequestedAt;
    private volatile LoadPlan plan;
    /** The process's CPU time when the measurement started, or -1. */
    private volatile long cpuAtMeasureStart = -1;

    final RequestMix mix;
    final FcgiClientRequest[] requests;
    final LoadStats stats;
    final ThreadFactory bodyThreads = Thread.ofVirtual().name("fcgi-load-body-", 0).factory();

    /**
     * @param backend what the backend answered to GET_VALUES: multiplexing is used only when it says it can
     * @param threads single-thread event loop groups ({@link #newThreads}), left running by {@link #close()}
     */
    LoadGenerator(LoadOptions options, BackendInfo backend, List<EventLoopGroup> threads) {
        this.options = options;
        int mpx = options.multiplex() > 1 && backend.multiplexes() ? options.multiplex() : 1;
        perConnection = backend.maxRequests() > 0 ? Math.min(mpx, backend.maxRequests()) : mpx;
        Duration connectTimeout = options.timeout().compareTo(Duration.ofSeconds(5)) < 0
                ? options.timeout() : Duration.ofSeconds(5);
        int n = Math.min(threads.size(), options.connections());
        loops = new EventExecutor[n];
        clients = new FcgiClient[n];
        for (int i = 0; i < n; i++) {
            EventLoopGroup group = threads.get(i);
            loops[i] = group.next();
            int users = options.connections() / n + (i < options.connections() % n ? 1 : 0);
            clients[i] = FcgiClient.builder()
                    .address(options.address())
                    .eventLoopGroup(group)
                    .maxConnections((users + perConnection - 1) / perConnection)
                    .keepConn(options.keepConn())
                    .multiplexing(perConnection > 1 ? Multiplexing.ON : Multiplexing.OFF)
                    .maxRequestsPerConnection(perConnection)
                    .connectTimeout(connectTimeout)
                    .requestTimeout(options.timeout())
                    .callbackExecutor(Runnable::run)
                    .build();
        }
        mix = options.mix();
        List<RequestMix.Kind> kinds = mix.kinds();
        requests = new FcgiClientRequest[kinds.size()];
        for (int i = 0; i < requests.length; i++) {
            requests[i] = options.template().build(kinds.get(i));
        }
        stats = new LoadStats(kinds.size());
    }

    /** {@code threads} event loop groups of one thread each (epoll when available), for a generator. */
    static List<EventLoopGroup> newThreads(int threads) {
        List<EventLoopGroup> groups = new ArrayList<>(threads);
        for (int i = 0; i < threads; i++) {
            groups.add(FcgiTransport.newEventLoopGroup(1, "fcgi-load-" + i));
        }
        return groups;
    }

    /** Shuts the groups down and waits a little for them. */
    static void shutdown(List<EventLoopGroup> threads) {
        List<Future<?>> terminations = new ArrayList<>();
        for (EventLoopGroup group : threads) {
            terminations.add(group.shutdownGracefully(0, 1, TimeUnit.SECONDS));
        }
        for (Future<?> termination : terminations) {
            termination.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** What the run is: for the line printed before it and for the report. */
    LoadReport.Run describe() {
        List<RequestMix.Kind> kinds = mix.kinds();
        return new LoadReport.Run(options.target(), options.connections(), loops.length, options.keepConn(),
                perConnection, options.rate(), kinds.stream().map(RequestMix.Kind::label).toList(),
                kinds.stream().map(RequestMix.Kind::weight).toList());
    }

    /**
     * Runs the test: returns at the deadline, or once every user has stopped (after {@code -n} requests), or a
     * second after {@link #stop()}. Requests still in flight then are left to {@link #close()}.
     */
    LoadReport run() throws InterruptedException {
        int users = options.connections();
        long warmup = options.warmup().toNanos();
        long start = System.nanoTime();
        LoadPlan p = new LoadPlan(start, warmup, options.duration().toNanos(), options.requests(), users);
        plan = p;
        if (stopRequestedAt != 0) {
            p.stop();
        }
        if (warmup == 0) {
            cpuAtMeasureStart = processCpuNanos();
        } else {
            loops[0].schedule(() -> cpuAtMeasureStart = processCpuNanos(), warmup, TimeUnit.NANOSECONDS);
        }
        double rate = options.rate();
        long interval = rate > 0 ? (long) (users * 1e9 / rate) : 0;
        List<VirtualUser> started = new ArrayList<>(users);
        for (int i = 0; i < users; i++) {
            VirtualUser user = new VirtualUser(this, p, clients[i % loops.length], loops[i % loops.length], interval);
            started.add(user);
            user.start(rate > 0 ? start + (long) (i * 1e9 / rate) : start);
        }
        while (!p.awaitFinished(Math.max(0, Math.min(POLL_NANOS, p.deadline() - System.nanoTime())))) {
            long now = System.nanoTime();
            long stopAt = stopRequestedAt;
            if (!p.beforeDeadline(now) || (stopAt != 0 && now - stopAt > STOP_GRACE_NANOS)) {
                p.stop();
                break;
            }
        }
        long cpuAtStart = cpuAtMeasureStart;
        long cpuNow = processCpuNanos();
        long now = System.nanoTime();
        int inFlight = 0;
        long longestWait = 0;
        for (VirtualUser user : started) {
            long since = user.waitingSince();
            if (since != -1) {
                inFlight++;
                longestWait = Math.max(longestWait, now - since);
            }
        }
        return stats.report(describe(), new LoadReport.End(p.measuredNanos(),
                cpuAtStart < 0 || cpuNow < 0 ? -1 : cpuNow - cpuAtStart, inFlight, longestWait));
    }

    /** Stops sending (from any thread, for example a shutdown hook); {@link #run()} then reports. */
    void stop() {
        stopRequestedAt = System.nanoTime() | 1;
        LoadPlan p = plan;
        if (p != null) {
            p.stop();
        }
    }

    /** The CPU time this process has used (all threads), or -1 when the JVM does not say. */
    static long processCpuNanos() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    /** Stops the users and closes the clients (the requests still in flight fail unrecorded). */
    @Override
    public void close() {
        LoadPlan p = plan;
        if (p != null) {
            p.stop();
        }
        for (FcgiClient client : clients) {
            client.close();
        }
    }
}
