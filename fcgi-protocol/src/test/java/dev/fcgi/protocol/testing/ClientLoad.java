package dev.fcgi.protocol.testing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The well-behaved side of a fault test: {@code clients} threads, each making calls one after another (a request
 * and the check of its answer, through whatever client the test uses) until stopped, bounded by a count and a
 * deadline. Call {@code i} of client {@code c} has the id {@code c<c>-<i>}. Answers that are not right, and calls
 * that throw, are collected as failures.
 */
public final class ClientLoad {

    /**
     * Sends request {@code id} and checks its answer: returns {@code null} when it is right, else what is wrong.
     * It must return within {@link #CALL_TIMEOUT}.
     */
    @FunctionalInterface
    public interface Call {
        String call(String id) throws Exception;
    }

    /** How long one call may take at most. */
    public static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final int clients;
    private final int maxPerClient;
    private final Duration deadline;
    private final Call call;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger exhausted = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    /**
     * A load of {@code clients} threads making at most {@code maxPerClient} calls each, for at most
     * {@code deadline} after {@link #start()}.
     */
    public ClientLoad(int clients, int maxPerClient, Duration deadline, Call call) {
        this.clients = clients;
        this.maxPerClient = maxPerClient;
        this.deadline = deadline;
        this.call = call;
    }

    /** Starts the client threads. */
    public ClientLoad start() {
        long end = System.nanoTime() + deadline.toNanos();
        for (int c = 0; c < clients; c++) {
            int index = c;
            threads.add(Thread.ofPlatform().name("load-" + c).daemon(true).start(() -> run(index, end)));
        }
        return this;
    }

    private void run(int client, long end) {
        int i = 0;
        for (; i < maxPerClient && !stop.get() && System.nanoTime() - end < 0; i++) {
            String id = "c" + client + "-" + i;
            sent.incrementAndGet();
            try {
                String wrong = call.call(id);
                if (wrong == null) {
                    answered.incrementAndGet();
                } else {
                    fail("request " + id + ": " + wrong);
                }
            } catch (Exception e) {
                fail("request " + id + ": " + e);
            }
        }
        if (i == maxPerClient) {
            exhausted.incrementAndGet();
        }
    }

    private void fail(String failure) {
        if (failures.size() < 20) {
            failures.add(failure);
        }
    }

    /** Calls begun so far. */
    public int sent() {
        return sent.get();
    }

    /** Calls answered right so far. */
    public int answered() {
        return answered.get();
    }

    /**
     * Waits until {@code n} more calls than {@code since} were answered right; fails at once when one was not, or
     * when every client ran out of calls or time.
     */
    public void awaitAnswered(int since, int n, Duration timeout) {
        Await.until(timeout, () -> !failures.isEmpty() || exhausted.get() == clients || answered() >= since + n,
                () -> "load: " + this);
        assertEquals(List.of(), List.copyOf(failures), this::toString);
        assertFalse(answered() < since + n, () -> "the load ended early: " + this);
    }

    /** Stops the clients after their current call, waits for them, and checks that every call was answered right. */
    public void stop() throws InterruptedException {
        stop.set(true);
        for (Thread thread : threads) {
            thread.join(CALL_TIMEOUT.plusSeconds(10).toMillis());
            assertFalse(thread.isAlive(), thread.getName() + " stopped");
        }
        assertEquals(List.of(), List.copyOf(failures), this::toString);
        assertEquals(sent(), answered(), () -> "every call of the load was answered right: " + this);
    }

    @Override
    public String toString() {
        return "sent " + sent + ", answered right " + answered + ", clients out of calls or time " + exhausted
                + ", failures " + failures;
    }
}
