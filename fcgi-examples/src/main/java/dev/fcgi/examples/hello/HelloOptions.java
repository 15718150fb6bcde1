package dev.fcgi.examples.hello;

import dev.fcgi.pool.PoolConfig;

import java.util.Locale;

/**
 * The {@code hello} example's command line: where it listens and where its handler runs.
 * <ul>
 * <li>by default, on a new virtual thread per request (the server's default executor);</li>
 * <li>{@code --event-loop}: on the connection's event loop, once the whole request has arrived (the handler
 * never blocks);</li>
 * <li>{@code --pm static|dynamic|ondemand} with FPM's pool settings: on the worker threads of an
 * {@link dev.fcgi.pool.FcgiPool}, as php-fpm would run it.</li>
 * </ul>
 *
 * @param listen    the address, as {@link dev.fcgi.protocol.server.FcgiServer.Builder#listen(String)} takes it
 * @param eventLoop whether the handler runs on the event loop
 * @param ioThreads event-loop threads; 0 for the server's default (half the cores, at least one)
 * @param pool      the pool's configuration, or {@code null} for no pool
 */
record HelloOptions(String listen, boolean eventLoop, int ioThreads, PoolConfig pool) {

    static final String USAGE = """
            usage: hello [--listen 127.0.0.1:9000] [--io-threads N]
                         [--event-loop | --pm static|dynamic|ondemand [--max-children N] [--start-servers N]
                                         [--min-spare N] [--max-spare N] [--max-requests N]]""";

    static HelloOptions parse(String... args) {
        String listen = "127.0.0.1:9000";
        boolean eventLoop = false;
        int ioThreads = 0;
        PoolConfig.Builder pool = null;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--event-loop")) {
                eventLoop = true;
                continue;
            }
            if (!option.startsWith("--")) {
                throw new IllegalArgumentException("unknown option " + option);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = args[++i];
            switch (option) {
                case "--listen" -> listen = value;
                case "--io-threads" -> ioThreads = number(option, value);
                case "--pm" -> pool = pool(pool).pm(value);
                case "--max-children" -> pool = pool(pool).maxChildren(number(option, value));
                case "--start-servers" -> pool = pool(pool).startServers(number(option, value));
                case "--min-spare" -> pool = pool(pool).minSpareServers(number(option, value));
                case "--max-spare" -> pool = pool(pool).maxSpareServers(number(option, value));
                case "--max-requests" -> pool = pool(pool).maxRequests(number(option, value));
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        if (eventLoop && pool != null) {
            throw new IllegalArgumentException("--event-loop runs the handler without a pool: drop it or --pm");
        }
        String fpmListen = listen.startsWith("unix:") ? listen.substring(5) : listen;  // FPM writes a bare path
        return new HelloOptions(listen, eventLoop, ioThreads, pool == null ? null : pool.listen(fpmListen).build());
    }

    /** Where the handler runs, in words, for the start-up line. */
    String describe() {
        if (pool != null) {
            return "pool " + pool.name() + ": pm " + pool.pm().name().toLowerCase(Locale.ROOT) + ", pm.max_children " + pool.maxChildren();
        }
        return eventLoop ? "handler on the event loop" : "a virtual thread per request";
    }

    private static PoolConfig.Builder pool(PoolConfig.Builder pool) {
        return pool != null ? pool : PoolConfig.builder("www").pm("static").maxChildren(8);
    }

    private static int number(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " expects a number, not " + value);
        }
    }
}
