package dev.fcgi.pool;

import java.time.Instant;

/**
 * A pool's counters at one moment, named after the fields of FPM's status page.
 *
 * @param pool               the pool name
 * @param processManager     {@code static}, {@code dynamic}, {@code ondemand} or a custom strategy's name
 * @param startNanos         when the pool started, on its ticker
 * @param acceptedConn       requests the pool accepted (FPM's "accepted conn"), status and ping requests included
 * @param listenQueue        requests waiting for a worker now
 * @param maxListenQueue     the most requests that ever waited at once
 * @param listenQueueLen     the bound of the queue ({@code listen.backlog})
 * @param idleProcesses      idle workers
 * @param activeProcesses    busy workers
 * @param totalProcesses     idle + busy
 * @param maxActiveProcesses the most busy workers at once
 * @param maxChildrenReached episodes in which the pool needed more than {@code pm.max_children}
 * @param rejected           requests refused because the queue was full (FPM cannot count these)
 * @param maxQueueWaitNanos  the longest a request waited for a worker
 * @param startTime          when the pool started, on its wall clock ({@link Instant#EPOCH} when unknown)
 * @param slowRequests       requests that exceeded the slowlog timeout (0 until there is a slowlog)
 */
public record PoolStatus(String pool, String processManager, long startNanos, long acceptedConn, int listenQueue,
                         int maxListenQueue, int listenQueueLen, int idleProcesses, int activeProcesses,
                         int totalProcesses, int maxActiveProcesses, long maxChildrenReached, long rejected,
                         long maxQueueWaitNanos, Instant startTime, long slowRequests) {

    /** An unknown start time reads as the epoch. */
    public PoolStatus {
        startTime = startTime == null ? Instant.EPOCH : startTime;
    }
}
