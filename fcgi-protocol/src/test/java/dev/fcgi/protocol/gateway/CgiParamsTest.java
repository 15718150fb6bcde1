package dev.fcgi.protocol.gateway;

import dev.fcgi.protocol.FcgiParameters;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@link CgiParams}: bytes as the client sent them, names as nginx builds them. */
class CgiParamsTest {

    private static GatewayConfig config(Path root, Map<String, String> extra) {
        return new GatewayConfig(root, new ScriptMapper(Pattern.compile("^(.+?\\.php)(/.*)$"), "index.php", null),
                extra, null, false, Duration.ofSeconds(1), 1000, 1000, root, Duration.ofSeconds(1),
                Duration.ofSeconds(1));
    }

    private static FcgiParameters build(GatewayConfig config, HttpRequest request) throws Exception {
        RequestPath path = RequestPath.parse(request.uri());
        return CgiParams.build(config, request, path, config.scripts().map(path.path()),
                new InetSocketAddress("::1", 8080), new InetSocketAddress("::1", 5555), -1);
    }

    @Test
    void bytesPassThroughUnchanged() throws Exception {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/d%C3%A9j%C3%A0.php/%E2%82%AC");
        request.headers().add("X-Latin1", "caf\u00e9");                 // byte 0xE9 on the wire, as Netty reads it
        FcgiParameters params = build(config(Path.of("/srv/wéb"), Map.of()), request);
        assertArrayEquals("/srv/wéb/déjà.php".getBytes(StandardCharsets.UTF_8), params.getBytes("SCRIPT_FILENAME"));
        assertEquals("/€", params.get("PATH_INFO"));
        assertArrayEquals(new byte[] {'c', 'a', 'f', (byte) 0xE9}, params.getBytes("HTTP_X_LATIN1"));
        assertEquals("::1", params.get("REMOTE_ADDR"));
        assertEquals("5555", params.get("REMOTE_PORT"));
        assertEquals("::1", params.get("SERVER_NAME"), "no Host: the local address");
    }

    @Test
    void hostWithoutPortAndExtraParamsWin() throws Exception {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        request.headers().add("Host", "[::1]:8080").add("X-Forwarded-For", "10.0.0.1");
        FcgiParameters params = build(config(Path.of("/srv"), Map.of("HTTP_X_FORWARDED_FOR", "",
                "DOCUMENT_ROOT", "/elsewhere")), request);
        assertEquals("::1", params.get("SERVER_NAME"), "the local address, never the client's Host (nginx: server_name)");
        assertEquals("", params.get("HTTP_X_FORWARDED_FOR"), "an extra HTTP_* param hides the header");
        assertEquals("/elsewhere", params.get("DOCUMENT_ROOT"));
        assertEquals(1, params.getAll("DOCUMENT_ROOT").size(), "replaced, not repeated");
        assertNull(params.get("PATH_TRANSLATED"));
        assertEquals("/index.php", params.get("SCRIPT_NAME"));
    }
}
