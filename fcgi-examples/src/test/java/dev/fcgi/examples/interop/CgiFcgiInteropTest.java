package dev.fcgi.examples.interop;

import dev.fcgi.examples.echo.EchoHandler;
import dev.fcgi.protocol.FcgiTransport;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.Await;
import dev.fcgi.protocol.testing.CgiResponse;
import dev.fcgi.protocol.testing.ExternalTools;
import dev.fcgi.protocol.testing.ManagedProcess;
import dev.fcgi.protocol.testing.Sha256;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * libfcgi's {@code cgi-fcgi -bind -connect ADDRESS} (the reference C implementation acting as the web server)
 * against the echo server in this JVM, over TCP and a Unix domain socket: run under {@code env -i} with a few
 * CGI variables and a 300 000-byte body on standard input, it must print a 200 JSON answer describing exactly
 * those variables and that body.
 */
class CgiFcgiInteropTest {

    private static final int BODY_LENGTH = 300_000; // more than one STDIN record and the server's 256 KiB spool threshold

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tcp", "unix"})
    void cgiFcgiBindConnect(String transport, @TempDir Path dir) throws Exception {
        String env = ExternalTools.require("env");
        String cgiFcgi = ExternalTools.require("cgi-fcgi");
        byte[] body = new byte[BODY_LENGTH];
        new Random(42).nextBytes(body);
        Path bodyFile = dir.resolve("body.bin");
        Files.write(bodyFile, body);

        FcgiServer.Builder builder = FcgiServer.builder().handler(new EchoHandler());
        builder.listen(transport.equals("tcp") ? "127.0.0.1:0" : "unix:" + dir.resolve("echo.sock"));
        try (FcgiServer server = builder.build().start()) {
            // cgi-fcgi takes host:port for TCP and a path for a Unix domain socket
            String connect = server.localAddress() instanceof InetSocketAddress
                    ? FcgiTransport.formatAddress(server.localAddress())
                    : FcgiTransport.unixPath(server.localAddress()).toString();
            Map<String, String> cgi = new LinkedHashMap<>();
            cgi.put("REQUEST_METHOD", "POST");
            cgi.put("REQUEST_URI", "/cgi-fcgi/upload?name=x%20y");
            cgi.put("QUERY_STRING", "name=x%20y");
            cgi.put("SCRIPT_NAME", "/cgi-fcgi/upload");
            cgi.put("CONTENT_TYPE", "application/octet-stream");
            cgi.put("CONTENT_LENGTH", Integer.toString(BODY_LENGTH));
            cgi.put("SERVER_PROTOCOL", "HTTP/1.1");
            cgi.put("GATEWAY_INTERFACE", "CGI/1.1");
            cgi.put("HTTP_X_INTEROP_TEST", "cgi-fcgi");
            List<String> command = new ArrayList<>(List.of(env, "-i"));
            cgi.forEach((name, value) -> command.add(name + '=' + value));
            command.addAll(List.of(cgiFcgi, "-bind", "-connect", connect));

            try (ManagedProcess process = ManagedProcess.start("cgi-fcgi", command, dir, Map.of(), false, bodyFile)) {
                assertEquals(0, process.waitFor(Duration.ofSeconds(60)), process::describe);
                CgiResponse response = CgiResponse.parse(process.stdoutBytes());
                assertEquals("Status: 200 OK", response.headerLines().get(0), process::describe);
                assertEquals("application/json", response.header("Content-Type"));
                EchoReply reply = EchoReply.parse(response.bodyText());
                assertEquals("RESPONDER", reply.role());
                assertEquals(1, reply.requestId());
                assertEquals(false, reply.keepConn(), "cgi-fcgi does not set FCGI_KEEP_CONN");
                assertEquals(cgi, reply.paramMap(), "env -i leaves only the CGI variables given");
                assertEquals(cgi.size(), reply.params().size());
                assertEquals(BODY_LENGTH, reply.stdinLength());
                assertEquals(Sha256.hex(body), reply.stdinSha256());
                assertEquals(0, reply.dataLength());
                assertEquals("", process.stderr(), "cgi-fcgi's standard error");
            }
            Await.until(Duration.ofSeconds(10), () -> server.connectionCount() == 0,
                    () -> "the connection closed after a request without FCGI_KEEP_CONN; open: "
                            + server.connectionCount());
        }
    }
}
