package dev.fcgi.examples.php;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.PoolConfig;
import dev.fcgi.pool.process.ChildProcessWorkers;
import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.server.FcgiServer;
import io.netty.channel.EventLoopGroup;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * PHP as php-fpm serves it, with this library as the process manager: {@code php --listen 127.0.0.1:9001
 * [--pm static|dynamic|ondemand] [--max-children 8] [--start-servers N --min-spare N --max-spare N]
 * [--max-requests N] [--command /usr/bin/php-cgi] [--user nobody] [--status-path /status]
 * [--php-value name=value]...} runs an {@link FcgiPool} whose workers are php-cgi child processes
 * ({@link ChildProcessWorkers}) behind an {@link FcgiServer}, until SIGTERM or SIGINT stops it gracefully.
 * Put nginx in front with {@code fastcgi_pass 127.0.0.1:9001} and the usual {@code SCRIPT_FILENAME}, as for php-fpm.
 * The children run as {@code nobody} when the JVM runs as root (children never run as root), else as its user.
 */
public final class PhpExample {

    static final String USAGE = """
            usage: php [--listen 127.0.0.1:9001] [--pm static|dynamic|ondemand] [--max-children 8]
                       [--start-servers N --min-spare N --max-spare N] [--max-requests N]
                       [--command /usr/bin/php-cgi] [--user nobody] [--status-path /status]
                       [--php-value name=value]...""";

    /** One group for the server's connections and the children's (created on first use): fewer thread hops. */
    private static final class Loops {
        static final EventLoopGroup GROUP = FcgiTransport.newEventLoopGroup(
                Math.max(1, Runtime.getRuntime().availableProcessors() / 2), "fcgi-io");
    }

    private PhpExample() {
    }

    /** Builds and starts the pool (its children are running when it returns) and the server in front of it. */
    public static FcgiServer start(List<String> args, FcgiPool[] poolOut) throws Exception {
        String listen = "127.0.0.1:9001";
        String command = "/usr/bin/php-cgi";
        String user = "root".equals(System.getProperty("user.name")) ? "nobody" : null;
        PoolConfig.Builder config = PoolConfig.builder("www").pm("static").maxChildren(8);
        for (int i = 0; i < args.size(); i++) {
            String option = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(option.startsWith("--") ? option + " needs a value"
                        : "unknown option " + option);
            }
            String value = args.get(++i);
            switch (option) {
                case "--listen" -> listen = value;
                case "--pm" -> config.pm(value);
                case "--max-children" -> config.maxChildren(number(option, value));
                case "--start-servers" -> config.startServers(number(option, value));
                case "--min-spare" -> config.minSpareServers(number(option, value));
                case "--max-spare" -> config.maxSpareServers(number(option, value));
                case "--max-requests" -> config.maxRequests(number(option, value));
                case "--command" -> command = value;
                case "--user" -> user = value;
                case "--status-path" -> config.statusPath(value);
                case "--php-value" -> {
                    int eq = value.indexOf('=');
                    if (eq < 1) {
                        throw new IllegalArgumentException("--php-value expects name=value, not " + value);
                    }
                    config.phpValue(value.substring(0, eq), value.substring(eq + 1));
                }
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        String fpmListen = listen.startsWith("unix:") ? listen.substring(5) : listen;   // FPM writes a bare path
        PoolConfig pool = config.listen(fpmListen).user(user).build();     // FPM's checks, e.g. of the pm settings
        ChildProcessWorkers children = ChildProcessWorkers.builder(List.of(command.strip().split("\\s+")))
                .config(pool)                                            // user, php_value[], env[], ...
                .eventLoopGroup(Loops.GROUP)                             // the server's loops: fewer wake-ups
                .build();
        FcgiPool started = FcgiPool.builder("www").config(pool).workers(children).build().start();
        if (pool.strategy().initialWorkers() > 0 && started.snapshot().workers().isEmpty()) {   // not ondemand
            started.shutdownNow();
            throw new IllegalStateException("no php-cgi child started (" + children + "): see the log above");
        }
        poolOut[0] = started;
        return FcgiServer.builder().listen(listen).eventLoopGroup(Loops.GROUP)
                .handler(started.handler()).dispatcher(started)         // requests, not connections, go to children
                .build()
                .start();
    }

    private static int number(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " expects a number, not " + value);
        }
    }

    public static void main(String[] args) throws Exception {
        FcgiPool[] pool = new FcgiPool[1];
        FcgiServer server;
        try {
            server = start(Arrays.asList(args), pool);
        } catch (IllegalArgumentException e) {              // a bad option, or FPM's check of the settings
            System.err.println("php: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        } catch (IllegalStateException e) {                 // no such user, no child started, ...
            System.err.println("php: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.shutdownGracefully(Duration.ofSeconds(10));    // begun requests finish; new ones are refused
                pool[0].shutdownGracefully(Duration.ofSeconds(10));   // then the children exit
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                server.close();
                pool[0].shutdownNow();
            }
        }, "fcgi-shutdown"));
        System.out.println("pool www of php-cgi children (" + pool[0].snapshot().workers().size() + " running, "
                + pool[0] + ") listening on " + server.localAddresses());
        server.awaitClose();
    }
}
