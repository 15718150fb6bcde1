package dev.fcgi.benchmarks.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load of one phase: virtual users, each with one call in flight at a time, on its route (nginx or
 * FcgiClient), picking kinds by weight, until {@link #stop} or until the phase's call limit. Every call gets an
 * id of its own and ends in the tally, whatever happened to it.
 */
final class Traffic {

    /** The pause after a refusal, so that a stopped server is not asked in a tight loop. */
    private static final long REFUSAL_PAUSE_MILLIS = 20;

    private final NginxRoute nginx;
    private final ClientRoute client;
    private final SoakTally tally;
    private final SoakTally.Phase phase;
    private final AtomicLong ids;
    private final long maxCalls;
    private final AtomicLong calls = new AtomicLong();
    private final List<Thread> users = new ArrayList<>();
    private volatile boolean stopping;
    private volatile boolean signalled;

    /**
     * @param ids      the run's id counter
     * @param maxCalls the most calls of the phase, 0 for no limit
     */
    Traffic(NginxRoute nginx, ClientRoute client, SoakTally tally, SoakTally.Phase phase, AtomicLong ids,
            long maxCalls) {
        this.nginx = nginx;
        this.client = client;
        this.tally = tally;
        this.phase = phase;
        this.ids = ids;
        this.maxCalls = maxCalls;
    }

    /** Starts {@code nginxUsers} users through nginx and {@code clientUsers} through FcgiClient. */
    Traffic start(int nginxUsers, int clientUsers, long seed) {
        for (int i = 0; i < nginxUsers + clientUsers; i++) {
            SoakKind.Route route = i < nginxUsers ? SoakKind.Route.NGINX : SoakKind.Route.CLIENT;
            SplittableRandom random = new SplittableRandom(seed * 1_000_003 + i);
            users.add(Thread.ofVirtual().name("soak-" + phase.label() + "-" + i)
                    .start(() -> loop(route, random)));
        }
        return this;
    }

    /** Says that the graceful stop is signalled now: refusals from here on are clean. Call it before the signal. */
    void signalled() {
        signalled = true;
    }

    /** Whether every user has ended (the call limit was reached). */
    boolean finished() {
        return users.stream().noneMatch(Thread::isAlive);
    }

    /** Lets every call in flight end and stops the users; false when one is still running after {@code timeout}. */
    boolean stop(Duration timeout) throws InterruptedException {
        stopping = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread user : users) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !user.join(Duration.ofNanos(left))) {
                return false;
            }
        }
        return true;
    }

    private void loop(SoakKind.Route route, SplittableRandom random) {
        while (!stopping) {
            if (calls.incrementAndGet() > maxCalls && maxCalls > 0) {
                return;
            }
            SoakKind kind = SoakKind.pick(route, random);
            SoakCall call = kind.call(ids.incrementAndGet(), random);
            int abortAfterMillis = 50 + random.nextInt(251);
            boolean before = signalled;
            Outcome outcome;
            try {
                outcome = route == SoakKind.Route.NGINX ? nginx.run(call, kind, abortAfterMillis)
                        : client.run(call, kind, abortAfterMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                outcome = Outcome.failed(e);
            } catch (Exception e) {
                outcome = Outcome.failed(e);
            }
            boolean after = signalled;
            tally.record(phase, kind, call.id(), outcome, after, !before && after);
            if (outcome.type() == Outcome.Type.REFUSAL) {
                try {
                    Thread.sleep(REFUSAL_PAUSE_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }
}
