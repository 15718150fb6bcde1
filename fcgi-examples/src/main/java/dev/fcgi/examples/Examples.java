package dev.fcgi.examples;

import dev.fcgi.examples.cookbook.CookbookServer;
import dev.fcgi.examples.cookbook.FinishExample;
import dev.fcgi.examples.cookbook.RequestExample;
import dev.fcgi.examples.cookbook.StreamingExample;
import dev.fcgi.examples.demo.DemoExample;
import dev.fcgi.examples.demo.TourExample;
import dev.fcgi.examples.echo.EchoExample;
import dev.fcgi.examples.embed.EmbedExample;
import dev.fcgi.examples.fpm.FpmDaemon;
import dev.fcgi.examples.hello.HelloExample;
import dev.fcgi.examples.php.PhpExample;
import dev.fcgi.examples.pool.PoolExample;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The examples jar's entry point: {@code java -jar fcgi-examples.jar <example> [options]}.
 */
public final class Examples {

    private static final Map<String, Example> EXAMPLES = new TreeMap<>(Map.ofEntries(
            Map.entry("demo", new Example("the README's demo: a Java pool and a php-cgi pool behind HTTP gateways on"
                    + " 127.0.0.1:8080 and :8081", DemoExample::main)),
            Map.entry("tour", new Example(
                    "starts the echo server and talks to it with FcgiClient (--exit to stop after)", TourExample::main)),
            Map.entry("echo", new Example("answers every request with a JSON description of what arrived",
                    EchoExample::main)),
            Map.entry("hello", new Example("the README's example: Hello, World!", HelloExample::main)),
            Map.entry("php", new Example("php-fpm's job: a pool of php-cgi child processes (--pm, --max-children, ...)",
                    PhpExample::main)),
            Map.entry("pool", new Example("a dynamic pool of worker threads with /status and /ping", PoolExample::main)),
            Map.entry("request", new Example("reads params, headers and a POST body (the cookbook's RequestExample)",
                    args -> CookbookServer.serve(new RequestExample(), args))),
            Map.entry("stream", new Example("streams a large response: ?lines=N (StreamingExample)",
                    args -> CookbookServer.serve(new StreamingExample(), args))),
            Map.entry("finish", new Example("answers 202 first, then works: finish() (FinishExample)",
                    args -> CookbookServer.serve(new FinishExample(), args))),
            Map.entry("embed", new Example("a pool on a Unix socket and an HTTP gateway in front, in one JVM"
                    + " (--http 127.0.0.1:8080)", EmbedExample::main)),
            Map.entry("fpm", new Example("php-fpm's daemon: pools from a php-fpm.conf (-y FILE, -t, -g, -s; -h)",
                    FpmDaemon::main))));

    private Examples() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !EXAMPLES.containsKey(args[0])) {
            System.err.println("usage: java -jar fcgi-examples.jar <example> [options]");
            System.err.println("examples:");
            EXAMPLES.forEach((name, example) -> System.err.printf("  %-8s %s%n", name, example.description()));
            System.exit(args.length == 0 || args[0].equals("-h") || args[0].equals("--help") ? 0 : 2);
            return;
        }
        EXAMPLES.get(args[0]).main().run(Arrays.copyOfRange(args, 1, args.length));
    }

    private record Example(String description, Main main) {
    }

    @FunctionalInterface
    private interface Main {
        void run(String[] args) throws Exception;
    }
}
