package dev.fcgi.examples.demo;

import dev.fcgi.pool.FcgiPoolManager;
import dev.fcgi.pool.config.FpmConfig;
import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.gateway.HttpGateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The README's demo ({@code mvn -Pdemo verify -DskipTests}): an embedded php-fpm.conf with a dynamic pool of the
 * Java application {@link DemoApp} on 127.0.0.1:9000 and, when php-cgi is installed, an ondemand pool of php-cgi
 * children on 127.0.0.1:9001 serving the PHP scripts of the demo folder; an {@link HttpGateway} in front of each
 * (127.0.0.1:8080 and 127.0.0.1:8081), so that curl can talk to them without nginx. A port that is taken is
 * replaced by a free one. It prints what to try, and serves until stopped.
 */
public final class DemoExample implements AutoCloseable {

    private final Path directory;
    private final FcgiPoolManager manager;
    private final List<HttpGateway> gateways;
    private final List<String> tryThis;

    private DemoExample(Path directory, FcgiPoolManager manager, List<HttpGateway> gateways, List<String> tryThis) {
        this.directory = directory;
        this.manager = manager;
        this.gateways = gateways;
        this.tryThis = tryThis;
    }

    public static void main(String[] args) throws Exception {
        DemoExample demo = start(9000, 8080, 9001, 8081);
        Runtime.getRuntime().addShutdownHook(new Thread(demo::close, "demo-stop"));
        demo.print(System.out);
        demo.gateways.get(0).awaitClose();
    }

    /** Starts the demo on the given ports (each replaced by a free one when taken). */
    public static DemoExample start(int appPort, int appHttpPort, int phpPort, int phpHttpPort) throws IOException {
        Path dir = Files.createTempDirectory("fcgi-demo-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));   // php-cgi may run as nobody
        Optional<String> phpCgi = find("php-cgi8.2", "php-cgi");
        int app = free(appPort);
        StringBuilder conf = new StringBuilder("""
                ; the demo's php-fpm.conf: FPM's directives, plus handler = / command = for what serves a pool
                [global]
                process.max = 16

                [app]
                handler = dev.fcgi.examples.demo.DemoApp
                listen = 127.0.0.1:%d
                pm = dynamic
                pm.max_children = 8
                pm.start_servers = 2
                pm.min_spare_servers = 1
                pm.max_spare_servers = 3
                pm.status_path = /status
                ping.path = /ping
                """.formatted(app));
        Path php = dir.resolve("php");
        int phpFcgi = -1;
        if (phpCgi.isPresent()) {
            phpFcgi = free(phpPort);
            copyScripts(php);
            conf.append("""

                    [php]
                    command = %s
                    listen = 127.0.0.1:%d
                    pm = ondemand
                    pm.max_children = 4
                    pm.status_path = /status
                    """.formatted(phpCgi.get(), phpFcgi));
            if (isRoot()) {
                conf.append("user = nobody\n");            // children never run as root
            }
        }
        Path confFile = Files.writeString(dir.resolve("php-fpm.conf"), conf);
        FpmConfig config = FpmConfig.load(confFile);
        FcgiPoolManager manager = FcgiPoolManager.builder().processMax(config.global().processMax()).build()
                .start(config.definitions(DemoExample.class.getClassLoader()));
        List<HttpGateway> gateways = new ArrayList<>();
        List<String> tryThis = new ArrayList<>();
        try {
            HttpGateway appGateway = HttpGateway.builder().listen("127.0.0.1:" + free(appHttpPort))
                    .backend("127.0.0.1:" + app).documentRoot(dir.resolve("app")).build().start();
            gateways.add(appGateway);
            String web = "http://" + address(appGateway);
            tryThis.add("Java pool 'app' (DemoApp, pm dynamic) on 127.0.0.1:" + app + ", HTTP gateway " + web + ":");
            tryThis.add("  curl '" + web + "/hello?name=you'");
            tryThis.add("  curl --data-binary 'some data' " + web + "/upload");
            tryThis.add("  curl '" + web + "/status?full&json'");
            tryThis.add("  curl " + web + "/ping");
            if (phpFcgi > 0) {
                HttpGateway phpGateway = HttpGateway.builder().listen("127.0.0.1:" + free(phpHttpPort))
                        .backend("127.0.0.1:" + phpFcgi).documentRoot(php).build().start();
                gateways.add(phpGateway);
                String phpWeb = "http://" + address(phpGateway);
                tryThis.add("PHP pool 'php' (php-cgi children, pm ondemand) on 127.0.0.1:" + phpFcgi
                        + ", HTTP gateway " + phpWeb + ":");
                tryThis.add("  curl " + phpWeb + "/");
                tryThis.add("  curl --data-binary 'some data' " + phpWeb + "/index.php");
                tryThis.add("  curl '" + phpWeb + "/info.php/extra/path?x=1'");
                tryThis.add("  curl '" + phpWeb + "/status?full'");
            } else {
                tryThis.add("(no php-cgi on the PATH: apt-get install php8.2-cgi for the PHP pool)");
            }
        } catch (IOException | RuntimeException e) {
            gateways.forEach(HttpGateway::close);
            manager.shutdownNow();
            throw e;
        }
        tryThis.add("nginx can pass to 127.0.0.1:" + app + " directly: fcgi-examples/nginx/tcp.conf. Ctrl-C stops.");
        return new DemoExample(dir, manager, gateways, tryThis);
    }

    /** Prints the demo's addresses and the curl commands to try. */
    public void print(PrintStream out) {
        out.println();
        out.println("FastCGI on the JVM: the demo's php-fpm.conf is " + directory.resolve("php-fpm.conf"));
        tryThis.forEach(out::println);
        out.println();
    }

    /** The lines {@link #print} shows. */
    public List<String> tryThis() {
        return tryThis;
    }

    /** The pool manager. */
    public FcgiPoolManager manager() {
        return manager;
    }

    /** Stops the gateways and every pool (php-cgi children included), and deletes the demo's files. */
    @Override
    public void close() {
        gateways.forEach(HttpGateway::close);
        try {
            manager.shutdownGracefully(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            manager.shutdownNow();
        }
        try (var files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: best effort
        }
    }

    private static String address(HttpGateway gateway) {
        return FcgiTransport.formatAddress(gateway.localAddress());
    }

    private static void copyScripts(Path php) throws IOException {
        Files.createDirectories(php);
        Files.setPosixFilePermissions(php, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String name : List.of("index.php", "info.php")) {
            try (InputStream in = DemoExample.class.getResourceAsStream("/demo/php/" + name)) {
                if (in == null) {
                    throw new IOException("the demo script " + name + " is missing from the jar");
                }
                Path file = php.resolve(name);
                Files.copy(in, file);
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            }
        }
    }

    /** {@code port} when it is free on 127.0.0.1, else a free one. */
    private static int free(int port) throws IOException {
        try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        } catch (IOException taken) {
            try (ServerSocket any = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return any.getLocalPort();
            }
        }
    }

    private static Optional<String> find(String... names) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String name : names) {
            for (String dir : path.split(":")) {
                Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                    return Optional.of(candidate.toString());
                }
            }
        }
        return Optional.empty();
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
