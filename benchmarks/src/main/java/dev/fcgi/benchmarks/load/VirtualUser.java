package dev.fcgi.benchmarks.load;

import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientResponse;
import io.netty.util.concurrent.EventExecutor;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * One virtual user: sends a request, reads its response to the end, records it, and sends the next, until the
 * {@link LoadPlan} says stop. In a closed loop the next request goes out at once; in an open loop (a rate) each
 * user sends on its own schedule, one request every {@code interval}, and a request's latency counts from its
 * scheduled time, so that a backend that falls behind is charged for the wait (coordinated omission). A schedule
 * that fell behind during the warm-up starts afresh when the measurement starts.
 *
 * <p>The client completes futures on its event loop ({@code callbackExecutor(Runnable::run)}), so a response
 * that has ended by the time the event loop is done with the bytes at hand is drained and recorded there, with no
 * thread hop. A response still streaming by then (a large or slow body) is drained on a virtual thread, which
 * keeps the client's flow control (and memory) bounded. The user's own state is touched on its home event loop
 * only.
 */
final class VirtualUser {

    private final LoadGenerator generator;
    private final LoadPlan plan;
    private final FcgiClient client;
    private final EventExecutor home;
    private final long interval;
    private final byte[] scratch = new byte[16 * 1024];
    private long scheduled;
    /** In an open loop: whether this user's schedule has reached the measured part of the run. */
    private boolean measuring;
    /** The request waiting for its response, or null. */
    private volatile Call current;

    /**
     * @param client   the client this user sends with
     * @param home     the client's event loop (its only one)
     * @param interval nanoseconds between the scheduled sends of an open loop, or 0 for a closed loop
     */
    VirtualUser(LoadGenerator generator, LoadPlan plan, FcgiClient client, EventExecutor home, long interval) {
        this.generator = generator;
        this.plan = plan;
        this.client = client;
        this.home = home;
        this.interval = interval;
    }

    /** When the request waiting for its response was sent (or scheduled to be), or -1 when there is none. */
    long waitingSince() {
        Call call = current;
        return call == null ? -1 : call.sendAt;
    }

    /** Starts sending; in an open loop the first request is scheduled for {@code firstSend}. */
    void start(long firstSend) {
        scheduled = firstSend;
        home.execute(this::next);
    }

    private void next() {
        long now = System.nanoTime();
        if (interval > 0 && !measuring && now - plan.measureStart() >= 0) {
            measuring = true;
            long behind = plan.measureStart() - scheduled;
            if (behind > 0) {
                // The warm-up's backlog is not carried over: the measured schedule starts on time.
                scheduled += (behind + interval - 1) / interval * interval;
            }
        }
        long sendAt = interval > 0 ? scheduled : now;
        LoadPlan.Admission admission = plan.admit(sendAt, now);
        if (admission == LoadPlan.Admission.STOP) {
            plan.userStopped();
            return;
        }
        boolean measured = admission == LoadPlan.Admission.MEASURE;
        if (sendAt - now > 0) {
            try {
                home.schedule(() -> send(sendAt, measured), sendAt - now, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                plan.userStopped();
            }
        } else {
            send(sendAt, measured);
        }
    }

    private void send(long sendAt, boolean measured) {
        int kind = generator.mix.pick(ThreadLocalRandom.current());
        Call call = new Call(kind, sendAt, measured);
        current = call;
        client.send(generator.requests[kind]).whenComplete(call);
    }

    /**
     * The request is over: the next one starts on the home event loop, directly after a response drained there,
     * otherwise from a fresh task (after a failure: never deeper in the stack).
     */
    private void done(boolean failed) {
        current = null;
        if (!failed && home.inEventLoop()) {
            scheduled += interval;
            next();
            return;
        }
        try {
            home.execute(() -> {
                scheduled += interval;
                next();
            });
        } catch (RejectedExecutionException e) {
            plan.userStopped();
        }
    }

    /** One request, from its send to its recorded outcome. */
    private final class Call implements BiConsumer<FcgiClientResponse, Throwable> {

        private final int kind;
        private final long sendAt;
        private final boolean measured;
        /** Taken by whichever drains the body: the end-of-response callback or a streaming thread. */
        private final AtomicBoolean claimed = new AtomicBoolean();
        private FcgiClientResponse response;

        Call(int kind, long sendAt, boolean measured) {
            this.kind = kind;
            this.sendAt = sendAt;
            this.measured = measured;
        }

        /** The CGI headers arrived (or the request failed before). */
        @Override
        public void accept(FcgiClientResponse headed, Throwable error) {
            if (error != null) {
                failed(error);
                return;
            }
            response = headed;
            headed.end().whenComplete((end, failure) -> ended(failure));
            if (!headed.isEnded()) {
                if (home.inEventLoop()) {
                    home.execute(this::streamIfNotEnded);
                } else {
                    streamIfNotEnded();
                }
            }
        }

        private void ended(Throwable failure) {
            if (!claimed.compareAndSet(false, true)) {
                return;
            }
            if (failure != null) {
                response.close();
                failed(failure);
                return;
            }
            drain();
        }

        /** Runs once the event loop has handled the bytes at hand: a response not ended by then streams. */
        private void streamIfNotEnded() {
            if (!response.isEnded() && claimed.compareAndSet(false, true)) {
                generator.bodyThreads.newThread(this::drain).start();
            }
        }

        /** Reads the body to its end (without blocking when it has ended), then records the response. */
        private void drain() {
            long bytes = 0;
            try (InputStream body = response.body()) {
                for (int n; (n = body.read(scratch)) >= 0; ) {
                    bytes += n;
                }
            } catch (IOException | RuntimeException e) {
                failed(e);
                return;
            }
            long now = System.nanoTime();
            if (measured && plan.beforeDeadline(now)) {
                generator.stats.response(kind, response.status(), bytes, !response.stderr().isEmpty(),
                        now - sendAt);
            }
            done(false);
        }

        private void failed(Throwable error) {
            if (measured && plan.beforeDeadline(System.nanoTime())) {
                generator.stats.error(kind, error);
            }
            done(true);
        }
    }
}
