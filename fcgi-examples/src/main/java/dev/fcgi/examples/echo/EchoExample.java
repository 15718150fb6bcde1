package dev.fcgi.examples.echo;

import dev.fcgi.protocol.server.FcgiServer;

import java.io.IOException;
import java.time.Duration;

/**
 * Runs {@link EchoHandler}: {@code echo --listen 127.0.0.1:9000} (repeatable; also {@code --listen
 * unix:/path/to.sock}, or {@code --inherited} to accept on the socket a web server passed as fd 0), with
 * {@code --mode 0660} for the permissions of its Unix sockets (so that a web server running as another user of
 * the group can connect).
 */
public final class EchoExample {

    private EchoExample() {
    }

    public static void main(String[] args) throws Exception {
        FcgiServer.Builder builder = FcgiServer.builder().handler(new EchoHandler());
        boolean listening = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--listen" -> {
                    if (i + 1 >= args.length) {
                        usage("--listen needs an address");
                    }
                    String address = args[++i];
                    try {
                        builder.listen(address);
                    } catch (IllegalArgumentException e) {
                        usage("--listen " + address + ": " + e.getMessage());
                    }
                    listening = true;
                }
                case "--mode" -> {
                    if (i + 1 >= args.length) {
                        usage("--mode needs octal permission bits, such as 0660");
                    }
                    String mode = args[++i];
                    if (!mode.matches("0?[0-7]{3}")) {
                        usage("--mode: '" + mode + "' (expected: octal permission bits, such as 0660)");
                    }
                    builder.unixSocketMode(Integer.parseInt(mode, 8));
                }
                case "--inherited" -> {
                    builder.listenInherited();
                    listening = true;
                }
                case "-h", "--help" -> usage(null);
                default -> usage("unknown option: " + args[i]);
            }
        }
        if (!listening) {
            builder.listen("127.0.0.1:9000");
        }
        FcgiServer server;
        try {
            server = builder.build().start();
        } catch (IOException | RuntimeException e) {
            System.err.println("echo: cannot listen: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.shutdownGracefully(Duration.ofSeconds(10));    // begun requests finish; new ones are refused
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "fcgi-shutdown"));
        System.out.println("echo: listening on " + server.localAddresses());
        server.awaitClose();
    }

    private static void usage(String error) {
        if (error != null) {
            System.err.println("echo: " + error);
        }
        System.err.println("usage: echo [--listen 127.0.0.1:9000 | --listen unix:/path/to.sock | --inherited]..."
                + " [--mode 0660]");
        System.exit(error == null ? 0 : 2);
    }
}
