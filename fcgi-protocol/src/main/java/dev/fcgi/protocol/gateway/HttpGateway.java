package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.client.FcgiClient;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * An HTTP/1.1 server that forwards every request to a FastCGI backend (php-fpm, {@code php-cgi -b}, this library's
 * {@link dev.fcgi.protocol.server.FcgiServer} or pools) and streams the answer back: what nginx's
 * {@code fastcgi_pass} or Jetty's FastCGI proxy do, for a Java application that puts PHP behind its own HTTP port.
 *
 * <pre>{@code
 * try (HttpGateway gateway = HttpGateway.builder()
 *         .listen("127.0.0.1:8080")
 *         .backend("/run/php/php8.2-fpm.sock")
 *         .documentRoot(Path.of("/srv/www"))
 *         .build()
 *         .start()) {
 *     gateway.awaitClose();
 * }
 * }</pre>
 *
 * <h2>What the backend sees</h2>
 * The CGI variables nginx's {@code fastcgi_params} sets, plus {@code SCRIPT_FILENAME}, {@code PATH_INFO} and
 * {@code PATH_TRANSLATED}, and every request header as {@code HTTP_*} (headers with underscores dropped, as nginx
 * does); see {@link Builder#param(String, String)} for extra ones. Paths are mapped in <b>file mode</b> (the path
 * names a script under {@link Builder#documentRoot(Path)}, split by {@link Builder#splitPathInfo(String)}, with
 * {@link Builder#index(String)} for paths ending in {@code /}) or in <b>front controller mode</b>
 * ({@link Builder#frontController(String)}: one script for every path, the path as {@code PATH_INFO}). A path with
 * a {@code ..} segment (after percent-decoding) is answered 400, so {@code SCRIPT_FILENAME} always lies under the
 * document root; whether the file exists, and whether its name may run as a script, is the backend's to check
 * ({@code security.limit_extensions} in php-fpm and in this library's pools, which also refuse
 * {@code /upload.jpg/x.php}: PHP would run {@code upload.jpg}). The gateway serves no static files: every request goes to the backend, except {@code TRACE} (405, as in
 * nginx). A request line over 8 KiB is answered 414, request headers over 32 KiB 431.
 *
 * <h2>Bodies, memory and back-pressure</h2>
 * Request bodies are streamed: a {@code Content-Length} body goes to the backend as it arrives, through a pipe
 * holding at most 256 KiB, and the connection stops reading while the pipe is full. A chunked body is spooled
 * first (in memory up to {@link Builder#bodySpoolThreshold(int)}, then in an unlinked temporary file) to learn the
 * {@code CONTENT_LENGTH} PHP needs, as nginx does. Past {@link Builder#maxRequestBodySize(long)} the answer is 413;
 * {@code Expect: 100-continue} is answered 100 only for a request that will be forwarded. Response bodies are
 * streamed too: the FastCGI client stops reading the backend while its buffer is full, and the response is written
 * chunk by chunk only while the HTTP connection is writable, so a response of any size takes bounded memory. The
 * body goes out with the backend's {@code Content-Length} when given, else chunked (HTTP/1.1) or delimited by
 * closing the connection (HTTP/1.0).
 *
 * <h2>Threads</h2>
 * Netty's event loops parse HTTP, decide what to read and never block. Each forwarded request then runs on a
 * virtual thread of its own: it sends the FastCGI request, waits for the answer, reads the response body from the
 * client's blocking {@link dev.fcgi.protocol.client.FcgiClientResponse#body() stream}, and before each chunk waits
 * until the HTTP connection can take more. Blocking there costs a parked virtual thread, not an event loop, and it
 * keeps the relay a plain read-write loop whose back-pressure is visible; a push-style relay would need the
 * FastCGI client to hand out its buffers and take demand signals, for little gain next to the bytes copied once
 * per chunk.
 *
 * <h2>Failures</h2>
 * The backend unreachable, dead mid-request or breaking the protocol: 502 Bad Gateway; slower than
 * {@link Builder#requestTimeout(Duration)}: 504 Gateway Timeout; both with a short text body and a WARN log line
 * with the reason. Once a response has started, a failure closes the connection instead, so a truncated response
 * is never taken for a complete one. Text the backend writes to FCGI_STDERR is logged at WARN, one line per
 * request (nginx's "FastCGI sent in stderr"). A client that closes its connection mid-request gets its FastCGI
 * request aborted. Logs go to the logger {@code dev.fcgi.protocol.gateway.HttpGateway}.
 *
 * <p>Not done: TLS (put a TLS terminator in front and set {@link Builder#https(boolean)}), HTTP/2, static files,
 * draining the unread rest of an upload the backend did not want (the connection is closed instead).
 */
public final class HttpGateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpGateway.class);

    private final SocketAddress listen;
    private final GatewayConfig config;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final FcgiClient client;
    private final boolean ownsClient;
    private final ExecutorService exchanges =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("http-gateway-", 0).factory());
    private final ChannelGroup connections = new DefaultChannelGroup("http-gateway", GlobalEventExecutor.INSTANCE);
    private volatile ServerChannel serverChannel;
    private volatile boolean closed;

    private HttpGateway(Builder b, GatewayConfig config) {
        this.listen = b.listen;
        this.config = config;
        this.ownsGroup = b.group == null;
        this.group = ownsGroup ? FcgiTransport.newEventLoopGroup(b.ioThreads, "http-gateway-io") : b.group;
        this.ownsClient = b.client == null;
        // The exchanges only wait on the client's futures, so these may complete on its event loop.
        this.client = ownsClient
                ? FcgiClient.builder().address(b.backend).eventLoopGroup(group).callbackExecutor(Runnable::run)
                        .build()
                : b.client;
    }

    /** A builder; {@link Builder#listen(String)} and {@link Builder#backend(String)} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the listen address and starts accepting connections.
     *
     * @throws IOException when the address cannot be bound (the gateway is then closed)
     */
    public HttpGateway start() throws IOException {
        if (closed || serverChannel != null) {
            throw new IllegalStateException(closed ? "closed" : "already started");
        }
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channelFactory(FcgiTransport.serverChannelFactory(group, listen))
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.AUTO_READ, false)            // GatewayHandler asks for every read
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast("http", new HttpServerCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(GatewayConfig.MAX_REQUEST_LINE)
                                .setMaxHeaderSize(GatewayConfig.MAX_HEADER_SIZE)));
                        ch.pipeline().addLast("flow", new FlowControlHandler());
                        ch.pipeline().addLast("gateway", new GatewayHandler(config, client, exchanges));
                    }
                });
        if (listen instanceof InetSocketAddress) {
            bootstrap.option(ChannelOption.SO_REUSEADDR, true).childOption(ChannelOption.TCP_NODELAY, true);
        }
        ChannelFuture bound = bootstrap.bind(FcgiTransport.transportAddress(group, listen)).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            close();
            throw new IOException("cannot listen on " + FcgiTransport.formatAddress(listen) + ": "
                    + bound.cause().getMessage(), bound.cause());
        }
        serverChannel = (ServerChannel) bound.channel();
        log.info("HTTP gateway listening on {}, forwarding to FastCGI at {} (document root {})",
                FcgiTransport.formatAddress(serverChannel.localAddress()),
                FcgiTransport.formatAddress(client.address()), config.documentRoot());
        return this;
    }

    /** The bound address (with the real port when port 0 was asked for), or null before {@link #start()}. */
    public SocketAddress localAddress() {
        ServerChannel channel = serverChannel;
        if (channel == null) {
            return null;
        }
        Path path = FcgiTransport.unixPath(channel.localAddress());
        return path != null ? UnixDomainSocketAddress.of(path) : channel.localAddress();
    }

    /** The FastCGI client requests go through (the gateway's own, or the one given to the builder). */
    public FcgiClient client() {
        return client;
    }

    /** The number of open HTTP connections. */
    public int connectionCount() {
        return connections.size();
    }

    /** Blocks until the gateway is closed (from another thread or a shutdown hook). */
    public void awaitClose() throws InterruptedException {
        ServerChannel channel = serverChannel;
        if (channel != null) {
            channel.closeFuture().sync();
        }
    }

    /**
     * Stops listening and closes every connection (requests in progress are aborted at the backend), then the
     * FastCGI client and the event loop group when the gateway created them. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ServerChannel channel = serverChannel;
        if (channel != null) {
            channel.close().awaitUninterruptibly();
        }
        connections.close().awaitUninterruptibly();
        exchanges.shutdown();
        if (ownsClient) {
            client.close();
        }
        if (ownsGroup) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    @Override
    public String toString() {
        ServerChannel channel = serverChannel;
        return "HttpGateway(" + (channel == null ? "not started" : FcgiTransport.formatAddress(channel.localAddress()))
                + " -> " + FcgiTransport.formatAddress(client.address()) + ')';
    }

    /** Settings of an {@link HttpGateway}; each is checked when set, {@link #build()} checks what is required. */
    public static final class Builder {

        private SocketAddress listen;
        private SocketAddress backend;
        private FcgiClient client;
        private Path documentRoot = Path.of("").toAbsolutePath();
        private String index = "index.php";
        private String frontController;
        private Pattern splitPathInfo = Pattern.compile("^(.+?\\.php)(/.*)$");
        private final Map<String, String> params = new LinkedHashMap<>();
        private String serverName;
        private boolean https;
        private Duration requestTimeout = Duration.ofSeconds(60);
        private long maxRequestBodySize = 1024 * 1024;
        private int bodySpoolThreshold = 64 * 1024;
        private Path spoolDirectory = Path.of(System.getProperty("java.io.tmpdir"));
        private Duration keepAliveTimeout = Duration.ofSeconds(75);
        private Duration writeTimeout = Duration.ofSeconds(60);
        private EventLoopGroup group;
        private int ioThreads;

        private Builder() {
        }

        /** The HTTP listen address: {@code 127.0.0.1:8080}, {@code [::1]:8080}, {@code 8080} or {@code unix:/path}. */
        public Builder listen(String address) {
            return listen(FcgiTransport.parseAddress(address));
        }

        /** The HTTP listen address: an {@link InetSocketAddress} or a {@link UnixDomainSocketAddress}. Required. */
        public Builder listen(SocketAddress address) {
            this.listen = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * The FastCGI backend's address, as php-fpm's {@code listen} writes it ({@code 127.0.0.1:9000},
         * {@code /run/php/php8.2-fpm.sock}); the gateway creates (and closes) an {@link FcgiClient} with its
         * defaults (16 kept-alive connections, multiplexing when the backend offers it).
         */
        public Builder backend(String address) {
            return backend(FcgiTransport.parseAddress(address));
        }

        /** The FastCGI backend's address; see {@link #backend(String)}. Replaces a client given before. */
        public Builder backend(SocketAddress address) {
            this.backend = Objects.requireNonNull(address, "address");
            this.client = null;
            return this;
        }

        /**
         * The FastCGI client to send requests with, for its settings or to share it; the gateway never closes it.
         * Replaces an address given before.
         */
        public Builder backend(FcgiClient client) {
            this.client = Objects.requireNonNull(client, "client");
            this.backend = null;
            return this;
        }

        /**
         * The directory scripts are looked up in, as the backend sees the file system: {@code DOCUMENT_ROOT}, and
         * the start of {@code SCRIPT_FILENAME} and {@code PATH_TRANSLATED}. Made absolute and normalised. Default:
         * the working directory.
         */
        public Builder documentRoot(Path root) {
            this.documentRoot = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
            return this;
        }

        /**
         * The script appended to a script name ending in {@code /} in file mode (nginx's {@code fastcgi_index}).
         * Default: {@code index.php}.
         */
        public Builder index(String script) {
            Objects.requireNonNull(script, "script");
            if (script.isEmpty() || script.contains("/")) {
                throw new IllegalArgumentException("index: '" + script + "' (expected: a file name, such as index.php)");
            }
            this.index = script;
            return this;
        }

        /**
         * Front controller mode: every request goes to this script (relative to the document root, such as
         * {@code index.php} or {@code public/index.php}); {@code SCRIPT_NAME} is {@code /} + the script and
         * {@code PATH_INFO} the request's path. Default: none (file mode).
         */
        public Builder frontController(String script) {
            Objects.requireNonNull(script, "script");
            String name = script.startsWith("/") ? script : "/" + script;
            if (name.endsWith("/") || RequestPath.hasDotDotSegment(name)) {
                throw new IllegalArgumentException("frontController: '" + script
                        + "' (expected: a script under the document root, such as index.php)");
            }
            this.frontController = name;
            return this;
        }

        /**
         * How file mode splits a path into the script name (group 1) and {@code PATH_INFO} (group 2), as nginx's
         * {@code fastcgi_split_path_info}; a path it does not match is the script name, with an empty
         * {@code PATH_INFO}. Default: {@code ^(.+?\.php)(/.*)$}.
         *
         * @throws IllegalArgumentException when the pattern does not compile or has fewer than two groups
         */
        public Builder splitPathInfo(String regex) {
            Objects.requireNonNull(regex, "regex");
            Pattern pattern;
            try {
                pattern = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("splitPathInfo: " + e.getMessage(), e);
            }
            if (pattern.matcher("").groupCount() < 2) {
                throw new IllegalArgumentException("splitPathInfo: '" + regex
                        + "' (expected: two groups, the script name and the path info)");
            }
            this.splitPathInfo = pattern;
            return this;
        }

        /**
         * A CGI variable sent with every request (as nginx's {@code fastcgi_param}), replacing a standard one of
         * the same name; an {@code HTTP_*} name hides the request header. Default: none.
         */
        public Builder param(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("param: empty name");
            }
            params.put(name, value);
            return this;
        }

        /**
         * {@code SERVER_NAME}, as nginx's {@code server_name}. Default: the local address the request came in on;
         * never the client's {@code Host} header (it is in {@code HTTP_HOST}), which applications must not trust.
         */
        public Builder serverName(String name) {
            this.serverName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Whether clients reach the gateway over TLS (through a terminating proxy): sets {@code HTTPS=on} and
         * {@code REQUEST_SCHEME=https}. Default: false.
         */
        public Builder https(boolean https) {
            this.https = https;
            return this;
        }

        /**
         * How long the backend may take with a request, from forwarding it until its END_REQUEST (streaming the
         * response included); past it the answer is 504, or the connection is closed when the response has
         * started, and the FastCGI request is aborted. Also the longest wait for the next bytes of a request body
         * (then 408). Default: 60 s.
         */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive("requestTimeout", timeout);
            return this;
        }

        /**
         * The largest request body accepted, in bytes (nginx's {@code client_max_body_size}); a larger one is
         * answered 413, before {@code 100 Continue} when its {@code Content-Length} says so. Default: 1 MiB.
         */
        public Builder maxRequestBodySize(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("maxRequestBodySize: " + bytes + " (expected: >= 0)");
            }
            this.maxRequestBodySize = bytes;
            return this;
        }

        /**
         * Chunked request bodies up to this many bytes are spooled in memory, larger ones in a temporary file.
         * Default: 64 KiB.
         */
        public Builder bodySpoolThreshold(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("bodySpoolThreshold: " + bytes + " (expected: >= 0)");
            }
            this.bodySpoolThreshold = bytes;
            return this;
        }

        /** Where the spool files of chunked bodies are created (and at once unlinked). Default: java.io.tmpdir. */
        public Builder spoolDirectory(Path directory) {
            this.spoolDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * How long a connection may wait for its next request (or for the rest of a request's headers) before it
         * is closed (nginx's {@code keepalive_timeout}). Default: 75 s.
         */
        public Builder keepAliveTimeout(Duration timeout) {
            this.keepAliveTimeout = positive("keepAliveTimeout", timeout);
            return this;
        }

        /**
         * How long writing a response may wait for the HTTP client to take data before the connection is closed
         * (nginx's {@code send_timeout}). Default: 60 s.
         */
        public Builder writeTimeout(Duration timeout) {
            this.writeTimeout = positive("writeTimeout", timeout);
            return this;
        }

        /**
         * The Netty event loops to run on (and the gateway's own FastCGI client with them), which the gateway
         * never shuts down. Default: a group of its own, epoll when available, else NIO.
         */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /** The number of threads of the gateway's own event loop group. Default: 0, Netty's default (2 × cores). */
        public Builder ioThreads(int threads) {
            if (threads < 0 || threads > 1024) {
                throw new IllegalArgumentException("ioThreads: " + threads + " (expected: 0 to 1024)");
            }
            this.ioThreads = threads;
            return this;
        }

        /**
         * Creates the gateway, not yet listening.
         *
         * @throws IllegalStateException when no listen address or no backend was given
         */
        public HttpGateway build() {
            if (listen == null) {
                throw new IllegalStateException("listen address not set");
            }
            if (backend == null && client == null) {
                throw new IllegalStateException("backend not set (an address or an FcgiClient)");
            }
            GatewayConfig config = new GatewayConfig(documentRoot,
                    new ScriptMapper(splitPathInfo, index, frontController), Collections.unmodifiableMap(new LinkedHashMap<>(params)), serverName, https,
                    requestTimeout, maxRequestBodySize, bodySpoolThreshold, spoolDirectory, keepAliveTimeout,
                    writeTimeout);
            return new HttpGateway(this, config);
        }

        private static Duration positive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
            }
            return value;
        }
    }
}
