package dev.fcgi.protocol.testing;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * The memory this JVM holds live: heap in use right after a full collection, plus the direct memory of Netty's
 * default allocator (where connections allocate). The in-process counterpart of {@link JvmMonitor}, for tests
 * that assert a memory cap on a server running in the test's own JVM.
 */
public final class LiveMemory {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private LiveMemory() {
    }

    /** Heap in use after a full collection. */
    public static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            MEMORY.gc();
        }
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /** Direct memory in use by {@link ByteBufAllocator#DEFAULT}, 0 when it keeps no metric. */
    public static long nettyDirect() {
        return ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider
                ? provider.metric().usedDirectMemory() : 0;
    }

    /** {@link #heapAfterGc()} plus {@link #nettyDirect()}. */
    public static long used() {
        return heapAfterGc() + nettyDirect();
    }

    /** Whole mebibytes, rounded up (for messages). */
    public static long mib(long bytes) {
        return JvmMonitor.mib(bytes);
    }
}
