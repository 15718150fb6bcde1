package dev.fcgi.pool;

import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.testing.Await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The well-behaved side of a fault test: {@code clients} threads, each sending requests one after another through
 * a shared {@link FcgiClient} and checking every answer, until stopped, bounded by a request count and a deadline.
 * Request {@code i} of client {@code c} has the id {@code c<c>-<i>}; the test builds the request from the id and
 * says what is wrong with an answer. Answers that are not right are collected as failures.
 */
public final class WellBehavedLoad {

    /** Says what is wrong with the answer to request {@code id}: {@code null} when it is right. */
    @FunctionalInterface
    public interface Check {
        String wrong(String id, FcgiClientResponse response) throws Exception;
    }

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final FcgiClient client;
    private final int clients;
    private final int maxPerClient;
    private final Duration deadline;
    private final Function<String, FcgiClientRequest> request;
    private final Check check;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger exhausted = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    /**
     * A load of {@code clients} threads sending at most {@code maxPerClient} requests each, for at most
     * {@code deadline} after {@link #start()}.
     */
    public WellBehavedLoad(FcgiClient client, int clients, int maxPerClient, Duration deadline,
                           Function<String, FcgiClientRequest> request, Check check) {
        this.client = client;
        this.clients = clients;
        this.maxPerClient = maxPerClient;
        this.deadline = deadline;
        this.request = request;
        this.check = check;
    }

    /** Starts the client threads. */
    public WellBehavedLoad start() {
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
            try (FcgiClientResponse response = this.client.send(request.apply(id))
                    .get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                String wrong = check.wrong(id, response);
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

    /** Requests sent so far. */
    public int sent() {
        return sent.get();
    }

    /** Requests answered right so far. */
    public int answered() {
        return answered.get();
    }

    /**
     * Waits until {@code n} more requests than {@code since} were answered right; fails at once when one was not, or
     * when every client ran out of requests or time.
     */
    public void awaitAnswered(int since, int n, Duration timeout) {
        Await.until(timeout, () -> !failures.isEmpty() || exhausted.get() == clients || answered() >= since + n,
                () -> "load: " + this);
        assertEquals(List.of(), List.copyOf(failures), this::toString);
        assertFalse(answered() < since + n, () -> "the load ended early: " + this);
    }

    /** Stops the clients after their current request, waits for them, and checks that every request was answered. */
    public void stop() throws InterruptedException {
        stop.set(true);
        for (Thread thread : threads) {
            thread.join(REQUEST_TIMEOUT.plusSeconds(10).toMillis());
            assertFalse(thread.isAlive(), thread.getName() + " stopped");
        }
        assertEquals(List.of(), List.copyOf(failures), this::toString);
        assertEquals(sent(), answered(), () -> "every request of the load was answered right: " + this);
    }

    @Override
    public String toString() {
        return "sent " + sent + ", answered right " + answered + ", clients out of requests or time " + exhausted
                + ", failures " + failures;
    }
}
