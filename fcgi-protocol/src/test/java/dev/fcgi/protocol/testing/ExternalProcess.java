package dev.fcgi.protocol.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An external FastCGI application started for a test (php-fpm, php-cgi): waits until it accepts connections, and
 * stops it by its PID (and the PIDs of its children) on {@link #close()}, or on JVM exit if a test forgot to.
 */
public abstract class ExternalProcess implements AutoCloseable {

    private static final long START_SECONDS = 20;

    private final String name;
    private final Process process;
    private final Path log;
    private final Thread shutdownHook;

    protected ExternalProcess(String name, ProcessBuilder builder, Path log) throws IOException {
        this.name = name;
        this.log = log;
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        this.process = builder.start();
        this.shutdownHook = new Thread(this::stop, name + "-stopper");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** The PID of the process started. */
    public long pid() {
        return process.pid();
    }

    /** What the process (and, for php-fpm, its error log) wrote so far. */
    public String log() {
        StringBuilder out = new StringBuilder();
        for (Path file : logFiles()) {
            try {
                if (Files.exists(file)) {
                    out.append("--- ").append(file.getFileName()).append('\n')
                            .append(Files.readString(file, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                out.append("(cannot read ").append(file).append(": ").append(e).append(")\n");
            }
        }
        return out.toString();
    }

    protected List<Path> logFiles() {
        return List.of(log);
    }

    /**
     * Waits until {@code address} accepts a connection, polling every 20 ms for at most 20 s; fails at once, with
     * the log, if the process exits.
     */
    protected void awaitListening(SocketAddress address) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try {
                connectOnce(address);
                return;
            } catch (IOException e) {
                last = e;
            }
            // Waiting on the process doubles as the pause between attempts and the check that it still runs.
            if (process.waitFor(20, TimeUnit.MILLISECONDS)) {
                throw new IOException(name + " exited with status " + process.exitValue() + " before listening on "
                        + address + ":\n" + log());
            }
        }
        close();
        throw new IOException(name + " did not accept connections on " + address + " within " + START_SECONDS
                + " s:\n" + log(), last);
    }

    private static void connectOnce(SocketAddress address) throws IOException {
        if (address instanceof UnixDomainSocketAddress unix) {
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(unix);
            }
        } else {
            try (Socket socket = new Socket()) {
                socket.connect((InetSocketAddress) address, 1000);
            }
        }
    }

    /** Stops the process and then its children by PID (SIGTERM, then SIGKILL after a grace period). */
    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is exiting; the hook runs (or ran) stop() anyway
        }
    }

    private void stop() {
        List<ProcessHandle> children = process.descendants().toList();
        ManagedProcess.stop(process.toHandle());
        children.forEach(ManagedProcess::stop);
    }
}
