package dev.fcgi.protocol.testing;

import dev.fcgi.protocol.FcgiTransport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An nginx that a test starts in a directory of its own (a {@code @TempDir}): the configuration, pid file,
 * error and access logs and every {@code *_temp_path} live there, nginx listens on 127.0.0.1 on a free port and
 * passes every request to one FastCGI upstream (TCP or {@code unix:}) through an {@code upstream} block with a
 * keepalive pool. The FastCGI params are written inline (the classic Debian {@code fastcgi_params} plus
 * {@code SCRIPT_FILENAME}), so the test does not depend on the files in /etc/nginx. {@link #close()} stops it by
 * PID. Needs the {@code nginx} program: {@link #builder(Path)} skips the test when it is missing.
 *
 * <pre>{@code
 * try (NginxProcess nginx = NginxProcess.builder(tempDir).upstream(server.localAddress()).keepConn(true).start()) {
 *     HttpResponse<String> response = client.send(HttpRequest.newBuilder(nginx.uri("/hello")).build(), ofString());
 * }
 * }</pre>
 */
public final class NginxProcess implements AutoCloseable {

    /** The params of Debian's fastcgi_params before 2025 (no HTTP_HOST line), plus SCRIPT_FILENAME. */
    public static final String FASTCGI_PARAMS = """
            fastcgi_param  QUERY_STRING       $query_string;
            fastcgi_param  REQUEST_METHOD     $request_method;
            fastcgi_param  CONTENT_TYPE       $content_type;
            fastcgi_param  CONTENT_LENGTH     $content_length;

            fastcgi_param  SCRIPT_NAME        $fastcgi_script_name;
            fastcgi_param  SCRIPT_FILENAME    $document_root$fastcgi_script_name;
            fastcgi_param  REQUEST_URI        $request_uri;
            fastcgi_param  DOCUMENT_URI       $document_uri;
            fastcgi_param  DOCUMENT_ROOT      $document_root;
            fastcgi_param  SERVER_PROTOCOL    $server_protocol;
            fastcgi_param  REQUEST_SCHEME     $scheme;
            fastcgi_param  HTTPS              $https if_not_empty;

            fastcgi_param  GATEWAY_INTERFACE  CGI/1.1;
            fastcgi_param  SERVER_SOFTWARE    nginx/$nginx_version;

            fastcgi_param  REMOTE_ADDR        $remote_addr;
            fastcgi_param  REMOTE_PORT        $remote_port;
            fastcgi_param  REMOTE_USER        $remote_user;
            fastcgi_param  SERVER_ADDR        $server_addr;
            fastcgi_param  SERVER_PORT        $server_port;
            fastcgi_param  SERVER_NAME        $server_name;

            fastcgi_param  REDIRECT_STATUS    200;
            """;

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;

    private final Path directory;
    private final int port;
    private final ManagedProcess process;
    private final String config;

    private NginxProcess(Path directory, int port, ManagedProcess process, String config) {
        this.directory = directory;
        this.port = port;
        this.process = process;
        this.config = config;
    }

    /** A builder for an nginx that keeps its files in {@code directory}; skips the test when nginx is missing. */
    public static Builder builder(Path directory) {
        return new Builder(ExternalTools.require("nginx"), directory);
    }

    /** The HTTP port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT} followed by {@code pathAndQuery} (which starts with '/'). */
    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }

    public Path directory() {
        return directory;
    }

    public Path errorLogFile() {
        return directory.resolve("error.log");
    }

    /** The error log so far. */
    public String errorLog() {
        return read(errorLogFile());
    }

    /** The configuration nginx runs with. */
    public String config() {
        return config;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The configuration, the error log and nginx's own output, for failure messages. */
    public String describe() {
        return "nginx on 127.0.0.1:" + port + "\n--- nginx.conf:\n" + config + "--- error.log:\n" + errorLog()
                + "\n--- process:\n" + process.describe();
    }

    /** Stops nginx by PID (SIGTERM, then SIGKILL after a grace period). */
    @Override
    public void close() {
        process.close();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** nginx's settings; every one has a default fit for a test. */
    public static final class Builder {

        private final String program;
        private final Path directory;
        private String upstream;
        private boolean keepConn = true;
        private int keepalive = 16;
        private boolean masterProcess;
        private String errorLogLevel = "warn";
        private final List<String> locationDirectives = new ArrayList<>();
        private final List<String> httpDirectives = new ArrayList<>();

        private Builder(String program, Path directory) {
            this.program = program;
            this.directory = directory;
        }

        /** The FastCGI application: {@code 127.0.0.1:9000} or {@code unix:/path/to.sock}. Required. */
        public Builder upstream(String address) {
            this.upstream = Objects.requireNonNull(address, "address");
            return this;
        }

        /** The FastCGI application's address (an InetSocketAddress or a Unix domain socket address). */
        public Builder upstream(SocketAddress address) {
            return upstream(FcgiTransport.formatAddress(address));
        }

        /** {@code fastcgi_keep_conn on|off}. Default: on. */
        public Builder keepConn(boolean keepConn) {
            this.keepConn = keepConn;
            return this;
        }

        /** The size of the upstream keepalive pool ({@code keepalive N}). Default: 16. */
        public Builder keepalive(int connections) {
            this.keepalive = connections;
            return this;
        }

        /** {@code master_process on|off}. Default: off (a single process, which {@link #close()} stops). */
        public Builder masterProcess(boolean on) {
            this.masterProcess = on;
            return this;
        }

        /** The error_log level. Default: warn. */
        public Builder errorLogLevel(String level) {
            this.errorLogLevel = level;
            return this;
        }

        /** Adds a directive to the location that passes to the upstream, e.g. {@code "fastcgi_buffering off;"}. */
        public Builder locationDirective(String directive) {
            locationDirectives.add(directive);
            return this;
        }

        /** Adds a directive to the http block. */
        public Builder httpDirective(String directive) {
            httpDirectives.add(directive);
            return this;
        }

        /** Writes nginx.conf, starts nginx and waits until its port accepts connections. */
        public NginxProcess start() throws IOException {
            if (upstream == null) {
                throw new IllegalStateException("upstream not set");
            }
            Files.createDirectories(directory.resolve("html"));
            AssertionError last = null;
            for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
                int port = FreePorts.find();
                String config = config(port);
                Path conf = directory.resolve("nginx.conf");
                Files.writeString(conf, config, StandardCharsets.UTF_8);
                Files.deleteIfExists(directory.resolve("error.log"));
                ManagedProcess process = ManagedProcess.start("nginx", List.of(program, "-p", directory + "/",
                        "-c", conf.toString(), "-e", directory.resolve("error.log").toString()), directory);
                NginxProcess nginx = new NginxProcess(directory, port, process, config);
                try {
                    Await.until(START_TIMEOUT, () -> !process.isAlive() || FreePorts.accepts(port),
                            () -> "nginx accepting on 127.0.0.1:" + port + "\n" + nginx.describe());
                    if (process.isAlive()) {
                        return nginx;
                    }
                    last = new AssertionError("nginx exited at start\n" + nginx.describe());
                    if (!nginx.errorLog().contains("Address already in use")) {
                        throw last;
                    }
                } catch (AssertionError | RuntimeException e) {
                    nginx.close();
                    throw e;
                }
                // another program took the port between FreePorts.find() and nginx's bind: try another one
            }
            throw last;
        }

        private String config(int port) {
            boolean root = "root".equals(System.getProperty("user.name"));
            String dir = directory.toAbsolutePath().toString();
            StringBuilder conf = new StringBuilder();
            conf.append("# written by ").append(NginxProcess.class.getName()).append('\n');
            conf.append("daemon off;\n");
            conf.append("master_process ").append(masterProcess ? "on" : "off").append(";\n");
            if (masterProcess && root) {
                // workers would run as nobody, who cannot enter the test's private temporary directory
                conf.append("user root;\n");
            }
            conf.append("worker_processes 1;\n");
            conf.append("error_log ").append(dir).append("/error.log ").append(errorLogLevel).append(";\n");
            conf.append("pid ").append(dir).append("/nginx.pid;\n");
            conf.append("events {\n    worker_connections 256;\n}\n");
            conf.append("http {\n");
            conf.append("    access_log ").append(dir).append("/access.log;\n");
            for (String temp : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
                conf.append("    ").append(temp).append("_temp_path ").append(dir).append('/').append(temp)
                        .append("_temp;\n");
            }
            conf.append("    client_max_body_size 0;\n");
            conf.append("    default_type application/octet-stream;\n");
            for (String directive : httpDirectives) {
                conf.append("    ").append(directive).append('\n');
            }
            conf.append("    upstream fcgi_app {\n");
            conf.append("        server ").append(upstream).append(";\n");
            conf.append("        keepalive ").append(keepalive).append(";\n");
            conf.append("    }\n");
            conf.append("    server {\n");
            conf.append("        listen 127.0.0.1:").append(port).append(";\n");
            conf.append("        server_name localhost;\n");
            conf.append("        root ").append(dir).append("/html;\n");
            conf.append("        location / {\n");
            conf.append("            fastcgi_pass fcgi_app;\n");
            conf.append("            fastcgi_keep_conn ").append(keepConn ? "on" : "off").append(";\n");
            for (String line : FASTCGI_PARAMS.split("\n")) {
                if (!line.isBlank()) {
                    conf.append("            ").append(line).append('\n');
                }
            }
            for (String directive : locationDirectives) {
                conf.append("            ").append(directive).append('\n');
            }
            conf.append("        }\n");
            conf.append("    }\n");
            conf.append("}\n");
            return conf.toString();
        }
    }
}
