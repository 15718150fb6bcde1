package dev.fcgi.protocol.server;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live counts shared by a server's connections: open connections and requests in progress; and whether the server
 * is draining (a graceful stop has begun).
 */
final class ServerCounters {

    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicBoolean overloaded = new AtomicBoolean();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final int maxRequests;

    ServerCounters(int maxRequests) {
        this.maxRequests = maxRequests;
    }

    /** Counts a new request unless the server-wide limit is reached. */
    boolean tryAcquireRequest() {
        for (;;) {
            int current = requests.get();
            if (current >= maxRequests) {
                return false;
            }
            if (requests.compareAndSet(current, current + 1)) {
                if (overloaded.get()) {
                    overloaded.set(false);
                }
                return true;
            }
        }
    }

    /**
     * Whether a refusal starts a new overload episode (the first refusal since a request was last accepted), so
     * that it is logged once per episode, as FPM warns about {@code pm.max_children}.
     */
    boolean startsOverloadEpisode() {
        return overloaded.compareAndSet(false, true);
    }

    void releaseRequest() {
        requests.decrementAndGet();
    }

    int requests() {
        return requests.get();
    }

    int connectionOpened() {
        return connections.incrementAndGet();
    }

    int connectionClosed() {
        return connections.decrementAndGet();
    }

    int connections() {
        return connections.get();
    }

    /** Marks the server draining; false when it already was. */
    boolean startDraining() {
        return draining.compareAndSet(false, true);
    }

    boolean draining() {
        return draining.get();
    }
}
