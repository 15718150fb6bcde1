package dev.fcgi.protocol.testing;

import io.netty.channel.unix.DomainSocketAddress;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * php-fpm 8.2 run for a test: a minimal php-fpm.conf in {@code dir} (error log, pid file and, by default, the Unix
 * socket live there too), one {@code [www]} pool with {@code pm = static} and 2 children, started in the foreground
 * without php.ini. As root php-fpm needs {@code -R} (allow pools to run as root), which is passed then.
 *
 * <pre>{@code
 * try (PhpFpmProcess fpm = PhpFpmProcess.start(tempDir, true, Map.of("pm.max_requests", "2"))) {
 *     FcgiClient.builder().address(fpm.address())...
 * }
 * }</pre>
 * Skips the test (see {@link ExternalTools}) when php-fpm is not installed.
 */
public final class PhpFpmProcess extends ExternalProcess {

    private final SocketAddress address;
    private final Path errorLog;

    private PhpFpmProcess(ProcessBuilder builder, Path dir, SocketAddress address) throws IOException {
        super("php-fpm", builder, dir.resolve("php-fpm.out"));
        this.address = address;
        this.errorLog = dir.resolve("php-fpm.log");
    }

    /**
     * Starts php-fpm and waits until it accepts connections.
     *
     * @param dir          a directory for the configuration, logs, pid file and socket
     * @param unixSocket   listen on {@code dir/php-fpm.sock} (else on 127.0.0.1 at a free port)
     * @param poolSettings extra {@code [www]} directives, e.g. {@code pm.max_requests = 2}
     */
    public static PhpFpmProcess start(Path dir, boolean unixSocket, Map<String, String> poolSettings)
            throws IOException, InterruptedException {
        String binary = ExternalTools.require("php-fpm8.2", "php-fpm");
        Path socket = dir.resolve("php-fpm.sock");
        InetSocketAddress tcp = unixSocket ? null : new InetSocketAddress(InetAddress.getLoopbackAddress(), FreePorts.find());
        String listen = unixSocket ? socket.toString() : "127.0.0.1:" + tcp.getPort();
        StringBuilder conf = new StringBuilder()
                .append("[global]\n")
                .append("pid = ").append(dir.resolve("php-fpm.pid")).append('\n')
                .append("error_log = ").append(dir.resolve("php-fpm.log")).append('\n')
                .append("daemonize = no\n")
                .append("[www]\n")
                .append("listen = ").append(listen).append('\n')
                .append("pm = static\n")
                .append("pm.max_children = 2\n")
                .append("catch_workers_output = yes\n");
        poolSettings.forEach((name, value) -> conf.append(name).append(" = ").append(value).append('\n'));
        Path confFile = Files.writeString(dir.resolve("php-fpm.conf"), conf);

        List<String> command = new ArrayList<>(List.of(binary, "-n", "-F", "-y", confFile.toString()));
        if ("root".equals(System.getProperty("user.name"))) {
            command.add("-R");
        }
        PhpFpmProcess fpm = new PhpFpmProcess(new ProcessBuilder(command).directory(dir.toFile()), dir,
                unixSocket ? new DomainSocketAddress(socket.toFile()) : tcp);
        try {
            fpm.awaitListening(unixSocket ? UnixDomainSocketAddress.of(socket) : tcp);
        } catch (IOException | InterruptedException | RuntimeException e) {
            fpm.close();
            throw e;
        }
        return fpm;
    }

    /** Where php-fpm listens: a {@link DomainSocketAddress} or an {@link InetSocketAddress}. */
    public SocketAddress address() {
        return address;
    }

    @Override
    protected List<Path> logFiles() {
        List<Path> files = new ArrayList<>(super.logFiles());
        files.add(errorLog);
        return files;
    }
}
