package dev.fcgi.protocol.testing;

import com.sun.tools.attach.VirtualMachine;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Watches the memory of another JVM on this machine (a child the test started): attaches, starts its local JMX
 * agent and samples heap use and NIO direct buffer use at a fixed interval on a daemon thread until closed. Also
 * reads peak figures the JVM keeps itself (per-pool peak usage), and parses {@code -Xlog:gc} output.
 */
public final class JvmMonitor implements AutoCloseable {

    private static final Pattern GC_HEAP = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

    private final JMXConnector connector;
    private final MemoryMXBean memory;
    private final List<MemoryPoolMXBean> heapPools;
    private final List<BufferPoolMXBean> bufferPools;
    private final List<GarbageCollectorMXBean> collectors;
    private final Thread sampler;
    private final AtomicLong peakHeapUsed = new AtomicLong();
    private final AtomicLong peakDirectUsed = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private final AtomicReference<Exception> samplingFailure = new AtomicReference<>();
    private volatile boolean closed;

    private JvmMonitor(JMXConnector connector, Duration interval) throws IOException {
        this.connector = connector;
        MBeanServerConnection server = connector.getMBeanServerConnection();
        this.memory = ManagementFactory.newPlatformMXBeanProxy(server, ManagementFactory.MEMORY_MXBEAN_NAME,
                MemoryMXBean.class);
        this.heapPools = ManagementFactory.getPlatformMXBeans(server, MemoryPoolMXBean.class).stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP).toList();
        this.bufferPools = ManagementFactory.getPlatformMXBeans(server, BufferPoolMXBean.class);
        this.collectors = ManagementFactory.getPlatformMXBeans(server, GarbageCollectorMXBean.class);
        sample();
        this.sampler = Thread.ofPlatform().daemon().name("jvm-monitor").start(() -> {
            while (!closed) {
                try {
                    sample();
                    Thread.sleep(interval.toMillis()); // paces the sampling; nothing waits on it
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    if (!closed) {
                        samplingFailure.compareAndSet(null, e);
                    }
                    return;
                }
            }
        });
    }

    /** Attaches to the JVM with process id {@code pid} and samples it every {@code interval}. */
    public static JvmMonitor attach(long pid, Duration interval) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        String address;
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        return new JvmMonitor(JMXConnectorFactory.connect(new JMXServiceURL(address)), interval);
    }

    private void sample() {
        MemoryUsage heap = memory.getHeapMemoryUsage();
        peakHeapUsed.accumulateAndGet(heap.getUsed(), Math::max);
        long direct = 0;
        for (BufferPoolMXBean pool : bufferPools) {
            if (pool.getName().equals("direct")) {
                direct += pool.getMemoryUsed();
            }
        }
        peakDirectUsed.accumulateAndGet(direct, Math::max);
        samples.incrementAndGet();
    }

    /**
     * Runs a full collection in the watched JVM ({@code System.gc()} through JMX) and returns the heap in use
     * right after it: the live set at this moment.
     */
    public long gcAndHeapUsed() {
        memory.gc();
        long used = memory.getHeapMemoryUsage().getUsed();
        peakHeapUsed.accumulateAndGet(used, Math::max);
        return used;
    }

    /** The largest heap use sampled. */
    public long peakHeapUsedSampled() {
        return peakHeapUsed.get();
    }

    /** The largest NIO direct buffer use sampled (ByteBuffer.allocateDirect, which Netty uses here). */
    public long peakDirectUsedSampled() {
        return peakDirectUsed.get();
    }

    public long sampleCount() {
        return samples.get();
    }

    /** The maximum heap size (-Xmx). */
    public long heapMax() {
        return memory.getHeapMemoryUsage().getMax();
    }

    /** The sum of the heap pools' peak use since the JVM started: an upper bound of the peak heap use. */
    public long sumOfHeapPoolPeaks() {
        long sum = 0;
        for (MemoryPoolMXBean pool : heapPools) {
            sum += pool.getPeakUsage().getUsed();
        }
        return sum;
    }

    /** Collections so far, over all collectors. */
    public long collectionCount() {
        long count = 0;
        for (GarbageCollectorMXBean collector : collectors) {
            count += Math.max(0, collector.getCollectionCount());
        }
        return count;
    }

    /** Fails if sampling broke off before {@link #close()}. */
    public void checkSampling() {
        Exception failure = samplingFailure.get();
        if (failure != null) {
            throw new AssertionError("sampling the JVM failed", failure);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        closed = true;
        sampler.interrupt();
        sampler.join(Duration.ofSeconds(10));
        connector.close();
    }

    /** The heap after GC in each pause of a {@code -Xlog:gc} log, in bytes, in order. */
    public static List<Long> heapAfterGc(String gcLog) {
        return gcLog.lines().map(GC_HEAP::matcher).filter(Matcher::find)
                .map(m -> bytes(m.group(3), m.group(4))).toList();
    }

    /** The heap before GC in each pause of a {@code -Xlog:gc} log, in bytes, in order. */
    public static List<Long> heapBeforeGc(String gcLog) {
        return gcLog.lines().map(GC_HEAP::matcher).filter(Matcher::find)
                .map(m -> bytes(m.group(1), m.group(2))).toList();
    }

    private static long bytes(String number, String unit) {
        long n = Long.parseLong(number);
        return switch (unit) {
            case "K" -> n << 10;
            case "M" -> n << 20;
            default -> n << 30;
        };
    }

    /** Whole mebibytes, rounded up. */
    public static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }
}
