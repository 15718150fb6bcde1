package dev.fcgi.protocol.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * {@code php-cgi8.2 -b 127.0.0.1:<free port>} run for a test, without php.ini and with
 * {@code PHP_FCGI_CHILDREN=0}: a single process that serves one connection at a time (so give the client
 * {@code maxConnections(1)} or expect queueing). Skips the test (see {@link ExternalTools}) when php-cgi is not
 * installed.
 */
public final class PhpCgiProcess extends ExternalProcess {

    private final InetSocketAddress address;

    private PhpCgiProcess(ProcessBuilder builder, Path log, InetSocketAddress address) throws IOException {
        super("php-cgi", builder, log);
        this.address = address;
    }

    /** Starts php-cgi, logging to {@code dir/php-cgi.log}, and waits until it accepts connections. */
    public static PhpCgiProcess start(Path dir) throws IOException, InterruptedException {
        String binary = ExternalTools.require("php-cgi8.2", "php-cgi");
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), FreePorts.find());
        ProcessBuilder builder = new ProcessBuilder(binary, "-n", "-b", "127.0.0.1:" + address.getPort())
                .directory(dir.toFile());
        builder.environment().put("PHP_FCGI_CHILDREN", "0");
        PhpCgiProcess cgi = new PhpCgiProcess(builder, dir.resolve("php-cgi.log"), address);
        try {
            cgi.awaitListening(address);
        } catch (IOException | InterruptedException | RuntimeException e) {
            cgi.close();
            throw e;
        }
        return cgi;
    }

    /** Where php-cgi listens. */
    public InetSocketAddress address() {
        return address;
    }
}
