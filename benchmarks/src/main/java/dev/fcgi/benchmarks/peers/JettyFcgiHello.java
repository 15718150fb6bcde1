package dev.fcgi.benchmarks.peers;

import org.eclipse.jetty.fcgi.server.ServerFCGIConnectionFactory;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Jetty;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The Jetty peer of the load comparison: Jetty 12's FastCGI server ({@code jetty-fcgi-server}) answering every
 * request with {@code 200}, {@code text/plain} and {@code Hello, World!}, from a plain core {@link Handler} (no
 * servlet), on a TCP port or a Unix socket (made {@code rw-rw-rw-}, so that nginx's workers can connect).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.fcgi.benchmarks.peers.JettyFcgiHello --listen 127.0.0.1:9000
 * java -cp benchmarks/target/benchmarks.jar dev.fcgi.benchmarks.peers.JettyFcgiHello --listen unix:/tmp/jetty.sock
 * </pre>
 *
 * <p>Jetty 12 ignores FCGI_KEEP_CONN ({@code ServerFCGIConnection.onStart}: "TODO: handle flags"): it answers in
 * full, END_REQUEST included, but closes the connection only when its idle timeout (30 s) expires. nginx without
 * {@code fastcgi_keep_conn on} waits for that close before it sends the body: the client gets the body after 30 s,
 * or, with a {@code fastcgi_read_timeout} below 30 s, the headers and a truncated body. Put it behind kept
 * connections.
 */
public final class JettyFcgiHello {

    private static final ByteBuffer HELLO =
            ByteBuffer.wrap("Hello, World!".getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();

    private JettyFcgiHello() {
    }

    /** {@code [--listen host:port | port | unix:/path] [--version]}; listens on {@code 127.0.0.1:9000} by default. */
    public static void main(String[] args) throws Exception {
        String listen = "127.0.0.1:9000";
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--listen") && i + 1 < args.length) {
                listen = args[++i];
            } else if (args[i].equals("--version")) {
                System.out.println("JettyFcgiHello (Jetty " + Jetty.VERSION + ", "
                        + ServerFCGIConnectionFactory.class.getName() + ")");
                return;
            } else {
                System.err.println("usage: JettyFcgiHello [--listen host:port | port | unix:/path] [--version]");
                System.exit(2);
            }
        }
        Server server = start(listen);
        System.out.println("JettyFcgiHello (Jetty " + Jetty.VERSION + ") listening on " + listen);
        server.join();
    }

    /** Starts a server on {@code listen}: {@code host:port}, {@code port} (on 127.0.0.1) or {@code unix:/path}. */
    public static Server start(String listen) throws Exception {
        Server server = new Server();
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendDateHeader(false);
        ServerFCGIConnectionFactory fcgi = new ServerFCGIConnectionFactory(config);
        if (listen.startsWith("unix:")) {
            Path path = Path.of(listen.substring("unix:".length()));
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)
                    && Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
                Files.delete(path);                     // a socket left by an earlier run, never a regular file
            }
            UnixDomainServerConnector connector = new UnixDomainServerConnector(server, fcgi);
            connector.setUnixDomainPath(path);
            server.addConnector(connector);
        } else {
            ServerConnector connector = new ServerConnector(server, fcgi);
            int colon = listen.lastIndexOf(':');
            connector.setHost(colon < 0 ? "127.0.0.1" : listen.substring(0, colon).replace("[", "").replace("]", ""));
            connector.setPort(Integer.parseInt(listen.substring(colon + 1)));
            server.addConnector(connector);
        }
        server.setHandler(new Hello());
        server.setStopAtShutdown(true);
        server.start();
        if (listen.startsWith("unix:")) {
            // Jetty creates the socket 0755; nginx's workers (nobody) need to write to it, as with FPM's listen.mode.
            Files.setPosixFilePermissions(Path.of(listen.substring("unix:".length())),
                    PosixFilePermissions.fromString("rw-rw-rw-"));
        }
        return server;
    }

    /** Answers {@code Hello, World!} without blocking. */
    private static final class Hello extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            response.write(true, HELLO.slice(), callback);
            return true;
        }
    }
}
