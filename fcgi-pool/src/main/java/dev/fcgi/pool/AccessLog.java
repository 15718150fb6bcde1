package dev.fcgi.pool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneId;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * FPM's access log ({@code access.log}, {@code access.format}, {@code access.suppress_path[]}): one line per
 * request, appended with one write after the handler returns. The file is opened in append mode for each line, so
 * a rotated file is picked up at once (FPM reopens it on SIGUSR1); lines of concurrent workers never mix.
 */
final class AccessLog {

    private static final Logger logger = LoggerFactory.getLogger(AccessLog.class);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final String pool;
    private final Path file;
    private final AccessLogFormat format;
    private final Set<String> suppressPaths;
    private final ZoneId zone;
    private final ReentrantLock writeLock = new ReentrantLock();

    AccessLog(String pool, Path file, AccessLogFormat format, Set<String> suppressPaths, ZoneId zone) {
        this.pool = pool;
        this.file = file;
        this.format = format;
        this.suppressPaths = Set.copyOf(suppressPaths);
        this.zone = zone;
    }

    String pool() {
        return pool;
    }

    /** Whether requests for {@code uri} (FPM's {@code request_uri}) are left out ({@code access.suppress_path}). */
    boolean suppressed(String uri) {
        return uri != null && suppressPaths.contains(uri);
    }

    /** Formats and appends the line of {@code entry}; failures are logged, never thrown. */
    void write(AccessLogEntry entry) {
        try {
            byte[] line = (format.format(entry, zone) + '\n').getBytes(StandardCharsets.UTF_8);
            writeLock.lock();
            try {
                Files.write(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                        StandardOpenOption.WRITE);
            } finally {
                writeLock.unlock();
            }
        } catch (IOException | RuntimeException e) {
            logger.error("[pool {}] cannot write the access log {}: {}", pool, file, e.toString());
        }
    }

    /** The current thread's CPU time and user time (ns) and allocated bytes, 0 where the JVM cannot tell. */
    static long[] threadUsage() {
        return threadUsage(true);
    }

    /**
     * As {@link #threadUsage()}; without {@code withUserTime} the user time is 0, which saves the slow part (the
     * JVM reads it from /proc, while the CPU time is one clock read).
     */
    static long[] threadUsage(boolean withUserTime) {
        long cpu = 0;
        long user = 0;
        long allocated = 0;
        try {
            if (THREADS.isCurrentThreadCpuTimeSupported()) {
                cpu = Math.max(0, THREADS.getCurrentThreadCpuTime());
                user = withUserTime ? Math.max(0, THREADS.getCurrentThreadUserTime()) : 0;
            }
            if (THREADS instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported()
                    && sun.isThreadAllocatedMemoryEnabled()) {
                allocated = Math.max(0, sun.getCurrentThreadAllocatedBytes());
            }
        } catch (UnsupportedOperationException e) {
            // not on this JVM or this kind of thread
        }
        return new long[]{cpu, user, allocated};
    }
}
