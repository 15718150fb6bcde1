package dev.fcgi.pool;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The three strategies as pure functions of scoreboard snapshots, with time given explicitly (no clock, no sleep).
 */
class PoolStrategyTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    /** A pool of {@code idle} idle and {@code busy} running workers; idle worker i has been idle since i seconds. */
    private static ScoreboardSnapshot pool(long now, int idle, int busy, int queued) {
        List<WorkerView> workers = new ArrayList<>();
        for (int i = 0; i < idle; i++) {
            workers.add(new WorkerView(i, WorkerState.IDLE, 0, i * SECOND, 0));
        }
        for (int i = 0; i < busy; i++) {
            workers.add(new WorkerView(1000 + i, WorkerState.RUNNING, 0, 0, 1));
        }
        return new ScoreboardSnapshot(now, queued, workers);
    }

    @Test
    @DisplayName("static: starts max_children, tops up a missing worker, never retires")
    void staticStrategy() {
        StaticStrategy strategy = StaticStrategy.of(5);
        assertEquals(5, strategy.initialWorkers());
        assertEquals(PoolDecision.NONE, strategy.onTick(pool(0, 5, 0, 0)));
        assertEquals(PoolDecision.spawn(1), strategy.onTick(pool(0, 1, 3, 0)));
        assertEquals(PoolDecision.NONE, strategy.onRequestQueued(pool(0, 0, 5, 10)));
        assertThrows(IllegalArgumentException.class, () -> StaticStrategy.of(0));
    }

    @Test
    @DisplayName("dynamic: start_servers defaults to min_spare + (max_spare - min_spare) / 2")
    void dynamicStartServers() {
        DynamicStrategy strategy = DynamicStrategy.newBuilder().maxChildren(50).minSpareServers(5)
                .maxSpareServers(35).build();
        assertEquals(20, strategy.initialWorkers());
    }

    @Test
    @DisplayName("dynamic: short of idle workers, the spawn rate doubles 1, 2, 4, 8 up to pm.max_spawn_rate and resets")
    void dynamicRamp() {
        DynamicStrategy strategy = DynamicStrategy.newBuilder().maxChildren(100).minSpareServers(40)
                .maxSpareServers(60).startServers(40).maxSpawnRate(10).build();
        int[] expected = {1, 2, 4, 8, 16, 16};
        for (int n : expected) {
            assertEquals(PoolDecision.spawn(n), strategy.onTick(pool(0, 0, 10, 0)));
        }
        assertEquals(PoolDecision.NONE, strategy.onTick(pool(0, 45, 0, 0)), "enough idle workers");
        assertEquals(1, strategy.spawnRate(), "the rate resets on a tick that is not short");
        assertEquals(PoolDecision.spawn(1), strategy.onTick(pool(0, 0, 10, 0)));
    }

    @Test
    @DisplayName("dynamic: a tick starts no more than min_spare - idle nor max_children - total")
    void dynamicSpawnBounds() {
        DynamicStrategy strategy = DynamicStrategy.newBuilder().maxChildren(10).minSpareServers(3)
                .maxSpareServers(5).build();
        for (int i = 0; i < 4; i++) {
            strategy.onTick(pool(0, 0, 0, 0));
        }
        assertEquals(PoolDecision.spawn(1), strategy.onTick(pool(0, 2, 3, 0)), "min_spare - idle = 1");
        for (int i = 0; i < 4; i++) {
            strategy.onTick(pool(0, 0, 1, 0));
        }
        assertEquals(PoolDecision.spawn(2), strategy.onTick(pool(0, 0, 8, 0)), "max_children - total = 2");
    }

    @Test
    @DisplayName("dynamic: over max_spare, one worker (the longest idle) is retired per tick")
    void dynamicRetiresOnePerTick() {
        DynamicStrategy strategy = DynamicStrategy.newBuilder().maxChildren(20).minSpareServers(2)
                .maxSpareServers(4).build();
        PoolDecision decision = strategy.onTick(pool(10 * SECOND, 9, 0, 0));
        assertEquals(List.of(0L), decision.retire(), "worker 0 has been idle longest");
        assertEquals(0, decision.spawn());
    }

    @Test
    @DisplayName("dynamic: reaching max_children is reported once per episode")
    void dynamicMaxChildrenOncePerEpisode() {
        DynamicStrategy strategy = DynamicStrategy.newBuilder().maxChildren(4).minSpareServers(2)
                .maxSpareServers(3).build();
        assertTrue(strategy.onTick(pool(0, 0, 4, 0)).maxChildrenReached());
        assertEquals(PoolDecision.NONE, strategy.onTick(pool(0, 0, 4, 0)), "still the same episode");
        assertEquals(PoolDecision.NONE, strategy.onRequestQueued(pool(0, 0, 4, 3)), "still the same episode");
        assertEquals(PoolDecision.spawn(1), strategy.onTick(pool(0, 0, 3, 0)), "a worker left: a spawn ends it");
        assertTrue(strategy.onTick(pool(0, 0, 4, 0)).maxChildrenReached(), "a new episode");
    }

    @Test
    @DisplayName("dynamic: a queued request starts the workers the queue needs at once, without waiting for a tick")
    void dynamicReactsToQueue() {
        DynamicStrategy strategy = DynamicStrategy.newBuilder().maxChildren(16).minSpareServers(1)
                .maxSpareServers(3).build();
        assertEquals(PoolDecision.spawn(10), strategy.onRequestQueued(pool(0, 0, 2, 10)));
        assertEquals(PoolDecision.spawn(14), strategy.onRequestQueued(pool(0, 0, 2, 40)), "bounded by max_children");
        assertEquals(PoolDecision.NONE, strategy.onRequestQueued(pool(0, 3, 0, 2)), "idle workers will take them");
    }

    @Test
    @DisplayName("dynamic: FPM's validation messages")
    void dynamicValidation() {
        assertEquals("pm.start_servers(8) must not be less than pm.min_spare_servers(2) and not greater than"
                + " pm.max_spare_servers(5)", assertThrows(IllegalArgumentException.class, () -> DynamicStrategy
                .newBuilder().maxChildren(10).minSpareServers(2).maxSpareServers(5).startServers(8).build())
                .getMessage());
        assertEquals("pm.min_spare_servers(2) and pm.max_spare_servers(20) cannot be greater than pm.max_children(10)",
                assertThrows(IllegalArgumentException.class, () -> DynamicStrategy.newBuilder().maxChildren(10)
                        .minSpareServers(2).maxSpareServers(20).build()).getMessage());
        assertEquals("pm.max_spare_servers(2) must not be less than pm.min_spare_servers(3)",
                assertThrows(IllegalArgumentException.class, () -> DynamicStrategy.newBuilder().maxChildren(10)
                        .minSpareServers(3).maxSpareServers(2).build()).getMessage());
        assertEquals("pm.max_children must be a positive value", assertThrows(IllegalArgumentException.class,
                () -> DynamicStrategy.newBuilder().maxChildren(0).minSpareServers(1).maxSpareServers(1).build())
                .getMessage());
    }

    @Test
    @DisplayName("ondemand: no worker at start, one per queued request, up to max_children")
    void onDemandSpawns() {
        OnDemandStrategy strategy = OnDemandStrategy.newBuilder().maxChildren(5).build();
        assertEquals(0, strategy.initialWorkers());
        assertEquals(PoolDecision.spawn(3), strategy.onRequestQueued(pool(0, 0, 0, 3)));
        assertEquals(PoolDecision.spawn(2), strategy.onRequestQueued(pool(0, 0, 3, 7)));
        assertTrue(strategy.onRequestQueued(pool(0, 0, 5, 2)).maxChildrenReached());
        assertEquals(PoolDecision.NONE, strategy.onRequestQueued(pool(0, 0, 5, 3)), "once per episode");
    }

    @Test
    @DisplayName("ondemand: the longest idle worker past pm.process_idle_timeout is retired, one per tick")
    void onDemandRetiresIdle() {
        OnDemandStrategy strategy = OnDemandStrategy.newBuilder().maxChildren(5)
                .processIdleTimeout(Duration.ofSeconds(10)).build();
        assertEquals(PoolDecision.NONE, strategy.onTick(pool(10 * SECOND, 3, 0, 0)), "idle for exactly 10 s");
        assertEquals(List.of(0L), strategy.onTick(pool(10 * SECOND + 1, 3, 0, 0)).retire());
        assertEquals(List.of(0L), strategy.onTick(pool(30 * SECOND, 3, 0, 0)).retire(),
                "all three are past the timeout, but one goes per tick");
        assertEquals("pm.process_idle_timeout(0s) must be greater than 0s", assertThrows(
                IllegalArgumentException.class, () -> OnDemandStrategy.newBuilder().maxChildren(1)
                        .processIdleTimeout(Duration.ZERO).build()).getMessage());
    }

    @Test
    @DisplayName("PoolConfig describes the strategy: pm and its settings")
    void strategyFromConfig() {
        PoolStrategy dynamic = PoolConfig.builder("www").listen("127.0.0.1:9000").pm("dynamic").maxChildren(10)
                .minSpareServers(2).maxSpareServers(6).build().strategy();
        assertInstanceOf(DynamicStrategy.class, dynamic);
        assertEquals(4, dynamic.initialWorkers(), "FPM's default start_servers: 2 + (6 - 2) / 2");
        assertEquals(10, dynamic.maxWorkers());
        PoolStrategy onDemand = PoolConfig.builder("www").listen("127.0.0.1:9000").pm("ondemand").maxChildren(3)
                .build().strategy();
        assertInstanceOf(OnDemandStrategy.class, onDemand);
        assertEquals(0, onDemand.initialWorkers());
        assertEquals(7, PoolConfig.builder("www").listen("9000").pm("static").maxChildren(7).build().strategy()
                .initialWorkers());
    }
}
