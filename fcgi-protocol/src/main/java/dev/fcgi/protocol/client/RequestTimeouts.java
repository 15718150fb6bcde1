package dev.fcgi.protocol.client;

import io.netty.util.HashedWheelTimer;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.TimeUnit;

/**
 * The timer of every client's request timeouts: one hashed wheel (100 ms ticks: timeouts are seconds long) on one
 * daemon thread. Nearly every
 * timeout is cancelled when its answer arrives; on the wheel, arming and cancelling one from any thread is a
 * lock-free enqueue, where a task scheduled on an event loop from another thread wakes that loop twice per request.
 */
final class RequestTimeouts {

    static final HashedWheelTimer TIMER = new HashedWheelTimer(
            new DefaultThreadFactory("fcgi-client-timeouts", true), 100, TimeUnit.MILLISECONDS, 512);

    private RequestTimeouts() {
    }
}
