package dev.fcgi.pool;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts a pool's events, so that a test can check that they add up with what its clients saw. */
public final class PoolEvents implements PoolListener {

    private final AtomicInteger started = new AtomicInteger();
    private final List<String> exited = new CopyOnWriteArrayList<>();
    private final Map<Integer, AtomicInteger> completed = new ConcurrentHashMap<>();
    private final AtomicInteger slow = new AtomicInteger();
    private final AtomicInteger terminated = new AtomicInteger();

    @Override
    public void workerStarted(String pool, long workerId, long pid) {
        started.incrementAndGet();
    }

    @Override
    public void workerExited(String pool, long workerId, String description, boolean failure) {
        exited.add((failure ? "failure: " : "") + description);
    }

    @Override
    public void requestCompleted(String pool, long workerId, long queueWaitNanos, long durationNanos, int status) {
        completed.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void slowRequest(String pool, long workerId, RequestInfo request, long elapsedNanos) {
        slow.incrementAndGet();
    }

    @Override
    public void requestTerminated(String pool, long workerId, RequestInfo request, long elapsedNanos) {
        terminated.incrementAndGet();
    }

    /** Workers started. */
    public int started() {
        return started.get();
    }

    /** Why each worker that left did so, prefixed with {@code failure: } for a crash. */
    public List<String> exited() {
        return List.copyOf(exited);
    }

    /** Requests completed on a worker, by the status they answered. */
    public Map<Integer, Integer> completed() {
        Map<Integer, Integer> counts = new TreeMap<>();
        completed.forEach((status, n) -> counts.put(status, n.get()));
        return counts;
    }

    /** Requests completed on a worker, whatever their status. */
    public int completedCount() {
        return completed().values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Requests that ran past the slowlog timeout. */
    public int slow() {
        return slow.get();
    }

    /** Requests ended by the terminate timeout. */
    public int terminated() {
        return terminated.get();
    }

    @Override
    public String toString() {
        return "started " + started + ", exited " + exited + ", completed " + completed() + ", slow " + slow
                + ", terminated " + terminated;
    }
}
