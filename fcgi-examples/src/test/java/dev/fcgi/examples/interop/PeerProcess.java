package dev.fcgi.examples.interop;

import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.FreePorts;
import dev.fcgi.protocol.testing.ManagedProcess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * A web server a test starts in the foreground in a directory of its own (a {@code @TempDir}): HAProxy, Apache
 * httpd or lighttpd. The test gives the configuration as a function of free loopback ports; the configuration is
 * written into the directory, the program started with it, and {@link #start} returns once every port accepts
 * connections (retrying with new ports when another program took one first). {@link #close()} stops it and
 * its children by PID ({@link ManagedProcess}), never by name.
 */
final class PeerProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;

    private final String name;
    private final int[] ports;
    private final ManagedProcess process;
    private final String config;
    private final Path errorLog;

    private PeerProcess(String name, int[] ports, ManagedProcess process, String config, Path errorLog) {
        this.name = name;
        this.ports = ports;
        this.process = process;
        this.config = config;
        this.errorLog = errorLog;
    }

    /**
     * Writes {@code config.apply(ports)} to {@code directory/configFile}, runs {@code command.apply(thatFile)} and
     * waits until all {@code portCount} ports accept; {@code errorLog} is the file the program logs errors to
     * (or null when it logs to its standard error).
     */
    static PeerProcess start(String name, Path directory, String configFile, int portCount,
                             Function<int[], String> config, Function<Path, List<String>> command, Path errorLog)
            throws IOException {
        Files.createDirectories(directory);
        AssertionError last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int[] ports = new int[portCount];
            for (int i = 0; i < portCount; i++) {
                ports[i] = FreePorts.find();
            }
            String text = config.apply(ports);
            Path file = directory.resolve(configFile);
            Files.writeString(file, text, StandardCharsets.UTF_8);
            if (errorLog != null) {
                Files.deleteIfExists(errorLog);
            }
            ManagedProcess process = ManagedProcess.start(name + "-" + attempt, command.apply(file), directory);
            PeerProcess peer = new PeerProcess(name, ports, process, text, errorLog);
            try {
                Await.until(START_TIMEOUT,
                        () -> !process.isAlive() || Arrays.stream(ports).allMatch(FreePorts::accepts),
                        () -> name + " accepting on 127.0.0.1:" + Arrays.toString(ports) + "\n" + peer.describe());
                if (process.isAlive()) {
                    return peer;
                }
                last = new AssertionError(name + " exited at start\n" + peer.describe());
                if (!(peer.errorLog() + process.stdout() + process.stderr()).contains("Address already in use")) {
                    throw last;
                }
            } catch (AssertionError | RuntimeException e) {
                peer.close();
                throw e;
            }
            // another program took a port between FreePorts.find() and the bind: try new ones
        }
        throw last;
    }

    /** The first port on 127.0.0.1. */
    int port() {
        return ports[0];
    }

    /** Port {@code index} on 127.0.0.1, in the order the configuration function received them. */
    int port(int index) {
        return ports[index];
    }

    /** {@code http://127.0.0.1:PORT} followed by {@code pathAndQuery} (which starts with '/'). */
    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The error log file so far (empty when the program logs to standard error). */
    String errorLog() {
        if (errorLog == null) {
            return "";
        }
        try {
            return Files.exists(errorLog) ? Files.readString(errorLog, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the program wrote to its standard error so far. */
    String stderr() {
        return process.stderr();
    }

    /** The configuration, the error log and the program's own output, for failure messages. */
    String describe() {
        return name + " on 127.0.0.1:" + Arrays.toString(ports) + "\n--- configuration:\n" + config
                + "--- error log:\n" + errorLog() + "\n--- process:\n" + process.describe();
    }

    @Override
    public void close() {
        process.close();
    }
}
