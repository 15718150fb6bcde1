package dev.fcgi.examples.interop;

import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.JvmMonitor;
import dev.fcgi.protocol.testing.ManagedProcess;
import dev.fcgi.protocol.testing.NginxProcess;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue point 6, a measurement: a 1 GiB response (ECHO_BYTES=1073741824) streamed through nginx to a slow HTTP
 * reader, from the echo example running as a separate JVM with {@code -Xmx64m}, which cannot buffer the response:
 * the whole GiB must arrive, byte for byte, and the server's heap stays bounded. nginx either streams
 * ({@code fastcgi_buffering off}) or buffers in memory only ({@code fastcgi_max_temp_file_size 0}), so that it
 * stops reading from the server whenever the reader stops. The reader pauses 3 s before reading anything, reads
 * at most 64 MiB/s in 64 KiB reads, and pauses 2 s at 256, 512 and 768 MiB, where it has the server run a full GC
 * (through JMX) to measure its live heap while stalled mid-response. Prints the heap figures it measured (from the
 * server's -Xlog:gc log, including those forced collections, JMX samples, and jcmd GC.heap_info).
 */
class LargeResponseBoundedHeapIT {

    private static final long LENGTH = 1L << 30;
    private static final int HEAP_MIB = 64;
    private static final long READ_RATE = 64L << 20; // bytes per second
    private static final Duration START_PAUSE = Duration.ofSeconds(3);
    private static final Duration MIDWAY_PAUSE = Duration.ofSeconds(2);
    private static final Pattern LISTENING = Pattern.compile("echo: listening on \\[/127\\.0\\.0\\.1:(\\d+)]");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fastcgi_buffering off;", "fastcgi_max_temp_file_size 0;"})
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void oneGibToASlowReaderWithBoundedHeap(String nginxMode, @TempDir Path dir) throws Exception {
        Path jar = ExamplesJar.require();
        Path gcLog = dir.resolve("gc.log");
        try (ManagedProcess echo = ManagedProcess.start("echo-jvm", List.of(ManagedProcess.javaCommand(),
                "-Xmx" + HEAP_MIB + "m", "-XX:+UseG1GC", "-Xlog:gc:file=" + gcLog, "-jar", jar.toString(),
                "echo", "--listen", "127.0.0.1:0"), dir)) {
            Await.until(Duration.ofSeconds(60), () -> !echo.isAlive() || LISTENING.matcher(echo.stdout()).find(),
                    () -> "the echo JVM listening\n" + echo.describe());
            Matcher listening = LISTENING.matcher(echo.stdout());
            assertTrue(listening.find(), echo::describe);
            int fcgiPort = Integer.parseInt(listening.group(1));

            try (NginxProcess nginx = EchoNginx.withEchoParams(NginxProcess.builder(dir.resolve("nginx"))
                    .upstream("127.0.0.1:" + fcgiPort).keepConn(true).locationDirective(nginxMode)).start();
                 JvmMonitor monitor = JvmMonitor.attach(echo.pid(), Duration.ofMillis(200))) {
                long started = System.nanoTime();
                List<Long> liveDuringPauses = new ArrayList<>();
                Download download = slowDownload(nginx.port(), "/big?echo_bytes=" + LENGTH,
                        () -> liveDuringPauses.add(monitor.gcAndHeapUsed()));
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);

                assertEquals("HTTP/1.1 200 OK", download.statusLine(), () -> download.head() + nginx.describe());
                assertTrue(download.head().toLowerCase(Locale.ROOT).contains("content-type: application/octet-stream"),
                        download::head);
                assertEquals(LENGTH, download.length(), () -> "bytes received\n" + nginx.describe()
                        + "\n" + echo.describe());
                assertEquals(-1, download.firstMismatch(), "offset of the first byte that is not i % 251");
                assertTrue(echo.isAlive(), echo::describe);
                assertFalse(echo.stderr().contains("OutOfMemoryError"), echo::describe);
                assertEquals(List.of(), EchoNginx.errors(nginx), nginx::describe);

                monitor.checkSampling();
                String heapInfo = jcmd(echo.pid(), "GC.heap_info", dir);
                long peakRss = peakRssKib(echo.pid());
                long heapMax = monitor.heapMax();
                String gc = Files.readString(gcLog);
                List<Long> afterGc = JvmMonitor.heapAfterGc(gc);
                List<Long> beforeGc = JvmMonitor.heapBeforeGc(gc);
                long peakAfterGc = afterGc.isEmpty() ? 0 : Collections.max(afterGc);
                long peakBeforeGc = beforeGc.isEmpty() ? 0 : Collections.max(beforeGc);

                System.out.printf("[%s] 1 GiB to a slow reader in %d s (%d MiB/s at most, with %d s of pauses)%n",
                        nginxMode, seconds, READ_RATE >> 20, START_PAUSE.toSeconds() + 3 * MIDWAY_PAUSE.toSeconds());
                System.out.printf("[%s] peak heap after GC: %d MB of %d MB max (%d GC pauses in -Xlog:gc; "
                                + "peak before GC %d MB)%n", nginxMode, JvmMonitor.mib(peakAfterGc),
                        JvmMonitor.mib(heapMax), afterGc.size(), JvmMonitor.mib(peakBeforeGc));
                System.out.printf("[%s] heap after a forced full GC while the reader paused at 256/512/768 MiB: "
                                + "%s MB%n", nginxMode, liveDuringPauses.stream().map(JvmMonitor::mib).toList());
                System.out.printf("[%s] peak heap used sampled: %d MB (%d JMX samples every 200 ms); sum of heap "
                                + "pool peaks: %d MB; peak NIO direct buffer pool: %d MB; peak RSS (VmHWM): %d MB%n",
                        nginxMode, JvmMonitor.mib(monitor.peakHeapUsedSampled()), monitor.sampleCount(),
                        JvmMonitor.mib(monitor.sumOfHeapPoolPeaks()), JvmMonitor.mib(monitor.peakDirectUsedSampled()),
                        peakRss >> 10);
                System.out.printf("[%s] jcmd %d GC.heap_info at the end:%n%s%n", nginxMode, echo.pid(), heapInfo.strip());

                assertTrue(heapMax <= (long) HEAP_MIB << 20, "max heap " + heapMax);
                // the live set stays small: a server that kept the response would have died of OutOfMemoryError,
                // and one that kept a large part of it would show here
                assertTrue(peakAfterGc <= (long) (HEAP_MIB * 3 / 4) << 20, "peak heap after GC " + peakAfterGc);
                assertEquals(3, liveDuringPauses.size());
            }
        }
    }

    private record Download(String statusLine, String head, long length, long firstMismatch) {
    }

    /**
     * An HTTP/1.0 GET (the body ends when nginx closes) read slowly through a small receive buffer, so that the
     * reader's pace reaches nginx and, through it, the FastCGI server. Checks every byte against i % 251.
     */
    private static Download slowDownload(int port, String pathAndQuery, Runnable duringPause)
            throws IOException, InterruptedException {
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            socket.setSoTimeout(120_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + pathAndQuery + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // the slow start: the server and nginx fill every buffer on the way and must then wait
            Thread.sleep(START_PAUSE.toMillis());

            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            String head = readHead(in);
            String statusLine = head.lines().findFirst().orElse("");

            byte[] buffer = new byte[64 * 1024];
            long received = 0;
            long firstMismatch = -1;
            int phase = 0; // received % 251
            long nextPause = 256L << 20;
            long start = System.nanoTime();
            long paused = 0;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != (byte) phase && firstMismatch < 0) {
                        firstMismatch = received + i;
                    }
                    phase = phase == 250 ? 0 : phase + 1;
                }
                received += n;
                if (received >= nextPause && nextPause < LENGTH) {
                    long pauseStart = System.nanoTime();
                    // half the pause for the server to fill the buffers and stall, then measure its live heap
                    Thread.sleep(MIDWAY_PAUSE.toMillis() / 2);
                    duringPause.run();
                    long left = MIDWAY_PAUSE.toNanos() - (System.nanoTime() - pauseStart);
                    if (left > 0) {
                        TimeUnit.NANOSECONDS.sleep(left);
                    }
                    paused += System.nanoTime() - pauseStart;
                    nextPause += 256L << 20;
                }
                // at most READ_RATE bytes per second of reading time
                long due = received * 1_000_000_000L / READ_RATE;
                long elapsed = System.nanoTime() - start - paused;
                if (due > elapsed) {
                    TimeUnit.NANOSECONDS.sleep(due - elapsed);
                }
            }
            return new Download(statusLine, head, received, firstMismatch);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            if (b < 0 || head.size() > 16 * 1024) {
                throw new IOException("no end of the response head: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static String jcmd(long pid, String command, Path dir) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return "(no jcmd in " + jcmd.getParent() + ")";
        }
        try (ManagedProcess process = ManagedProcess.start("jcmd", List.of(jcmd.toString(), Long.toString(pid),
                command), dir)) {
            process.waitFor(Duration.ofSeconds(60));
            return process.stdout();
        }
    }

    /** VmHWM of a process, in KiB (0 when /proc does not tell). */
    private static long peakRssKib(long pid) throws IOException {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        if (!Files.exists(status)) {
            return 0;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
