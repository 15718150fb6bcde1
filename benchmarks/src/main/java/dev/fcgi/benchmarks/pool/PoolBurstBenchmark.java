package dev.fcgi.benchmarks.pool;

import dev.fcgi.pool.DynamicStrategy;
import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.OnDemandStrategy;
import dev.fcgi.pool.PoolStrategy;
import dev.fcgi.protocol.server.FcgiHandler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A burst from an idle pool to {@code pm.max_children} busy workers: each operation dispatches max_children
 * requests that hold their worker, and ends when the last one has started. Its time is the longest queue wait of
 * the burst, so its percentiles bound those of every request's wait. FPM's dynamic manager starts workers on a 1 s
 * tick in steps of 1, 2, 4 ... (up to a second per step), and ondemand one per socket wake-up.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar PoolBurstBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class PoolBurstBenchmark {

    private static final FcgiHandler NOOP = (request, response) -> { };

    @Param({"dynamic", "ondemand"})
    public String pm;

    @Param({"8", "32"})
    public int maxChildren;

    private FcgiPool pool;

    @Setup(Level.Invocation)
    public void idlePool() {
        PoolStrategy strategy = pm.equals("dynamic")
                ? DynamicStrategy.newBuilder().maxChildren(maxChildren).minSpareServers(1).maxSpareServers(2)
                        .startServers(1).build()
                : OnDemandStrategy.newBuilder().maxChildren(maxChildren).build();
        pool = FcgiPool.builder("bench").strategy(strategy).handler(NOOP).heartbeat(Duration.ofSeconds(1))
                .build().start();
    }

    @TearDown(Level.Invocation)
    public void stop() {
        pool.shutdownNow();
    }

    @Benchmark
    public void burstToMaxChildren() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(maxChildren);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < maxChildren; i++) {
            pool.dispatch(null, () -> {
                started.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        if (!started.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the burst did not reach max_children within 10 s");
        }
        release.countDown();
    }
}
