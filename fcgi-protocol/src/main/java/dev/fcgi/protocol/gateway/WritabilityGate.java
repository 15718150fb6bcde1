package dev.fcgi.protocol.gateway;

import io.netty.channel.Channel;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets a thread that writes a response wait until the HTTP connection can take more (its outbound buffer fell
 * below the low-water mark), without holding up the event loop: the connection's handler calls {@link #signal()}
 * when the channel's writability changes or it closes. One per connection.
 */
final class WritabilityGate {

    /** How a wait ended. */
    enum Outcome { WRITABLE, CLOSED, TIMED_OUT }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    /** Waits up to {@code timeoutNanos} for {@code channel} to be writable (or closed). */
    Outcome await(Channel channel, long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            for (;;) {
                if (!channel.isActive()) {
                    return Outcome.CLOSED;
                }
                if (channel.isWritable()) {
                    return Outcome.WRITABLE;
                }
                if (left <= 0) {
                    return Outcome.TIMED_OUT;
                }
                left = changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the waiting writer to look at the channel again; called on the event loop. */
    void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
