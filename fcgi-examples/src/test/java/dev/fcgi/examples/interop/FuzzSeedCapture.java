package dev.fcgi.examples.interop;

import dev.fcgi.examples.echo.EchoHandler;
import dev.fcgi.protocol.FcgiParams;
import dev.fcgi.protocol.FcgiRecord;
import dev.fcgi.protocol.FcgiRecordDecoder;
import dev.fcgi.protocol.FcgiStdout;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiClientRequest;
import dev.fcgi.protocol.client.FcgiClientResponse;
import dev.fcgi.protocol.client.Multiplexing;
import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.ExternalProcess;
import dev.fcgi.protocol.testing.FuzzSeeds;
import dev.fcgi.protocol.testing.FuzzSeeds.Target;
import dev.fcgi.protocol.testing.NginxProcess;
import dev.fcgi.protocol.testing.PhpCgiProcess;
import dev.fcgi.protocol.testing.PhpFpmProcess;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.fcgi.examples.interop.FcgiTap.Direction.TO_APP;
import static dev.fcgi.examples.interop.FcgiTap.Direction.TO_WEB_SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Captures real FastCGI traffic through an {@link FcgiTap} and writes it as seeds of fcgi-protocol's Jazzer fuzz
 * targets ({@link FuzzSeeds}): what nginx and Apache's mod_proxy_fcgi send to the echo server, what it answers,
 * what {@link FcgiClient} sends to php-fpm and php-cgi and what they answer. Run on demand, with every tool
 * installed: {@code mvn -o test -pl fcgi-examples -am -Dtest=FuzzSeedCapture -Dfcgi.fuzz.writeSeeds=true
 * -Dsurefire.failIfNoSpecifiedTests=false}. The requests are small, so that the seeds stay a few KB each; the pids,
 * ports and dates in them change with every capture.
 */
@EnabledIfSystemProperty(named = FuzzSeeds.WRITE_PROPERTY, matches = "true")
class FuzzSeedCapture {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void nginx() throws Exception {
        try (FcgiServer server = FcgiServer.builder().handler(new EchoHandler()).listen("127.0.0.1:0").build().start();
             FcgiTap tap = FcgiTap.start((InetSocketAddress) server.localAddress());
             NginxProcess nginx = NginxProcess.builder(dir.resolve("nginx")).upstream("127.0.0.1:" + tap.port())
                     .keepConn(true).keepalive(1).start();
             HttpClient http = http()) {
            get(http, nginx.uri("/seed/get?alpha=1&beta=two"));
            post(http, nginx.uri("/seed/post"), "name=value&other=%C3%A9");
            get(http, nginx.uri("/seed/again"));
            byte[] requests = tap.bytes(1, TO_APP);
            byte[] responses = tap.bytes(1, TO_WEB_SERVER);
            for (Target target : List.of(Target.RECORD_DECODER, Target.SERVER_PIPELINE)) {
                FuzzSeeds.write(target, "nginx-keep-conn", requests);
            }
            FuzzSeeds.write(Target.NAME_VALUE_DECODER, "nginx-params", params(requests));
            FuzzSeeds.write(Target.RECORD_DECODER, "echo-to-nginx", responses);
            FuzzSeeds.write(Target.CLIENT_RESPONSE, "echo-to-nginx", firstResponse(responses));
            FuzzSeeds.write(Target.CGI_RESPONSE_PARSER, "echo", stdout(responses));
        }
    }

    @Test
    void apache() throws Exception {
        try (FcgiServer server = FcgiServer.builder().handler(new EchoHandler()).listen("127.0.0.1:0").build().start();
             FcgiTap tap = FcgiTap.start((InetSocketAddress) server.localAddress());
             PeerProcess apache = ApacheProxyFcgiInteropTest.startApache(dir, tap.port(), false);
             HttpClient http = http()) {
            get(http, apache.uri("/app/get?alpha=1&beta=two"));
            post(http, apache.uri("/app/post"), "name=value");
            assertEquals(2, tap.acceptedConnections(), tap.describe());
            for (Target target : List.of(Target.RECORD_DECODER, Target.SERVER_PIPELINE)) {
                FuzzSeeds.write(target, "apache-get", tap.bytes(1, TO_APP));
                FuzzSeeds.write(target, "apache-post", tap.bytes(2, TO_APP));
            }
            FuzzSeeds.write(Target.NAME_VALUE_DECODER, "apache-params", params(tap.bytes(1, TO_APP)));
        }
    }

    @Test
    void phpFpm() throws Exception {
        Path script = script();
        try (PhpFpmProcess fpm = PhpFpmProcess.start(dir, false, Map.of())) {
            capturePhp("php-fpm", fpm, (InetSocketAddress) fpm.address(), script);
        }
    }

    @Test
    void phpCgi() throws Exception {
        Path script = script();
        try (PhpCgiProcess php = PhpCgiProcess.start(dir)) {
            capturePhp("php-cgi", php, php.address(), script);
        }
    }

    /** A GET (status 201, headers, a cookie, stderr), a POST echoed and a 3000-byte body, one connection each. */
    private void capturePhp(String name, ExternalProcess php, InetSocketAddress address, Path script)
            throws Exception {
        try (FcgiTap tap = FcgiTap.start(address);
             FcgiClient client = FcgiClient.builder().address(new InetSocketAddress("127.0.0.1", tap.port()))
                     .keepConn(false).multiplexing(Multiplexing.OFF).build()) {
            List<FcgiClientRequest> requests = List.of(FcgiClientRequest.get(script.toString(), "name=seed"),
                    FcgiClientRequest.post(script.toString(), "text/plain",
                            "a small body".getBytes(StandardCharsets.UTF_8)),
                    FcgiClientRequest.get(script.toString(), "size=3000"));
            for (FcgiClientRequest request : requests) {
                try (FcgiClientResponse response = client.send(request).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    response.bodyAsBytes();
                    assertTrue(response.status() < 300, php::log);
                }
            }
            assertEquals(3, tap.acceptedConnections(), tap.describe());
            String[] kinds = {"get", "post", "size"};
            for (int i = 0; i < kinds.length; i++) {
                byte[] answer = tap.bytes(i + 1, TO_WEB_SERVER);
                FuzzSeeds.write(Target.CLIENT_RESPONSE, name + "-" + kinds[i], answer);
                FuzzSeeds.write(Target.RECORD_DECODER, name + "-" + kinds[i], answer);
                FuzzSeeds.write(Target.CGI_RESPONSE_PARSER, name + "-" + kinds[i], stdout(answer));
            }
            FuzzSeeds.write(Target.SERVER_PIPELINE, "fcgi-client-post", tap.bytes(2, TO_APP));
        }
    }

    private Path script() throws Exception {
        Path script = dir.resolve("interop.php");
        try (InputStream in = FuzzSeedCapture.class.getResourceAsStream("/php/interop.php")) {
            Files.copy(in, script);
        }
        return script;
    }

    private static HttpClient http() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    }

    private static void get(HttpClient http, URI uri) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .header("X-Seed", "captured").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
    }

    private static void post(HttpClient http, URI uri, String form) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
    }

    /** The records of a captured stream, by the project's decoder. */
    private static List<FcgiRecord> records(byte[] stream) {
        EmbeddedChannel ch = new EmbeddedChannel(new FcgiRecordDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(stream));
        List<FcgiRecord> records = new ArrayList<>();
        for (Object msg; (msg = ch.readInbound()) != null; ) {
            records.add((FcgiRecord) msg);
        }
        ch.finishAndReleaseAll();
        return records;
    }

    /** The content of the first request's PARAMS stream. */
    private static byte[] params(byte[] requests) {
        return content(requests, FcgiParams.class);
    }

    /** The content of the first response's STDOUT stream. */
    private static byte[] stdout(byte[] responses) {
        return content(responses, FcgiStdout.class);
    }

    private static byte[] content(byte[] stream, Class<? extends FcgiRecord> type) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean ended = false;
        for (FcgiRecord record : records(stream)) {
            if (!ended && type.isInstance(record) && record.requestId() == 1) {
                ByteBuf content = ((ByteBufHolder) record).content();
                ended = !content.isReadable();
                out.writeBytes(ByteBufUtil.getBytes(content));
            }
            ReferenceCountUtil.release(record);
        }
        return out.toByteArray();
    }

    /** The stream up to and with the first END_REQUEST: the answer to the first request on the connection. */
    private static byte[] firstResponse(byte[] responses) {
        int at = 0;
        while (at + 8 <= responses.length) {
            int type = responses[at + 1] & 0xFF;
            int length = ((responses[at + 4] & 0xFF) << 8) | (responses[at + 5] & 0xFF);
            at += 8 + length + (responses[at + 6] & 0xFF);
            if (type == 3) {
                break;
            }
        }
        return Arrays.copyOf(responses, Math.min(at, responses.length));
    }
}
