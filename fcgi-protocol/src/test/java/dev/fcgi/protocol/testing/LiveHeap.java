package dev.fcgi.protocol.testing;

import java.lang.management.ManagementFactory;

/** The live heap of this JVM: what a test measures around a fault, to see that nothing it did stayed in memory. */
public final class LiveHeap {

    private LiveHeap() {
    }

    /** The heap in use right after a full collection ({@code System.gc()}), in bytes. */
    public static long afterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
