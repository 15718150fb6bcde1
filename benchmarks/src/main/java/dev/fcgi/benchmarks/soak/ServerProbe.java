package dev.fcgi.benchmarks.soak;

import com.sun.tools.attach.VirtualMachine;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Watches the server's JVM from outside: attaches to it (the JDK's attach API starts its local JMX agent), runs a
 * full collection there and reads the heap in use right after it (the live set), the NIO direct buffers in use,
 * its Java threads, and from /proc its operating-system threads (which also count the JVM's own: GC, JIT
 * compilers) and, {@link #RSS_DELAY} later, its resident memory: G1 gives back the heap it shrank by in the
 * background, and the RSS read at once would still count it.
 */
final class ServerProbe implements AutoCloseable {

    /** The server's JVM at one moment, after a full collection. */
    record JvmState(long heapUsed, long heapCommitted, long direct, int javaThreads, int osThreads, long rss) {
    }

    /** How long after the collection the resident memory is read. */
    static final Duration RSS_DELAY = Duration.ofSeconds(2);

    private final long pid;
    private final JMXConnector connector;
    private final MemoryMXBean memory;
    private final ThreadMXBean threads;
    private final List<BufferPoolMXBean> bufferPools;

    private ServerProbe(long pid, JMXConnector connector) throws IOException {
        this.pid = pid;
        this.connector = connector;
        MBeanServerConnection server = connector.getMBeanServerConnection();
        this.memory = ManagementFactory.newPlatformMXBeanProxy(server, ManagementFactory.MEMORY_MXBEAN_NAME,
                MemoryMXBean.class);
        this.threads = ManagementFactory.newPlatformMXBeanProxy(server, ManagementFactory.THREAD_MXBEAN_NAME,
                ThreadMXBean.class);
        this.bufferPools = ManagementFactory.getPlatformMXBeans(server, BufferPoolMXBean.class);
    }

    /** Attaches to the JVM with process id {@code pid} (of the same user). */
    static ServerProbe attach(long pid) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        String address;
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        return new ServerProbe(pid, JMXConnectorFactory.connect(new JMXServiceURL(address)));
    }

    /** A full collection in the server ({@code System.gc()}), then its state. */
    JvmState afterFullGc() throws IOException, InterruptedException {
        memory.gc();
        MemoryUsage heap = memory.getHeapMemoryUsage();
        long direct = 0;
        for (BufferPoolMXBean pool : bufferPools) {
            if (pool.getName().equals("direct")) {
                direct += pool.getMemoryUsed();
            }
        }
        int javaThreads = threads.getThreadCount();
        int osThreads = (int) status("Threads:");
        Thread.sleep(RSS_DELAY.toMillis());
        return new JvmState(heap.getUsed(), heap.getCommitted(), direct, javaThreads, osThreads,
                status("VmRSS:") * 1024);
    }

    /** A full collection in the server: pending leak reports of Netty's detector come after it. */
    void fullGc() {
        memory.gc();
    }

    /** A number from /proc/PID/status (kB for memory). */
    private long status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).strip().split("\\s+")[0]);
            }
        }
        throw new IOException("no " + field + " in /proc/" + pid + "/status");
    }

    @Override
    public void close() {
        try {
            connector.close();
        } catch (IOException e) {
            // the server has exited: its end of the connection is gone already
        }
    }
}
