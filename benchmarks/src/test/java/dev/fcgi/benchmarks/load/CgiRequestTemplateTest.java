package dev.fcgi.benchmarks.load;

import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.client.FcgiClientRequest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CgiRequestTemplateTest {

    private static final List<String> NGINX_FASTCGI_PARAMS = List.of("SCRIPT_FILENAME", "QUERY_STRING",
            "REQUEST_METHOD", "CONTENT_TYPE", "CONTENT_LENGTH", "SCRIPT_NAME", "REQUEST_URI", "DOCUMENT_URI",
            "DOCUMENT_ROOT", "SERVER_PROTOCOL", "REQUEST_SCHEME", "GATEWAY_INTERFACE", "SERVER_SOFTWARE",
            "REMOTE_ADDR", "REMOTE_PORT", "SERVER_ADDR", "SERVER_PORT", "SERVER_NAME", "REDIRECT_STATUS",
            "PATH_INFO", "HTTP_HOST", "HTTP_USER_AGENT", "HTTP_ACCEPT");

    @Test
    void sendsWhatNginxSendsForAGet() {
        CgiRequestTemplate template = new CgiRequestTemplate("/srv/www/", null, List.of(), Map.of());
        Map<String, String> p = template.params("GET", "/hello.php?name=you&x=1", 0);

        assertEquals(NGINX_FASTCGI_PARAMS, List.copyOf(p.keySet()));
        assertEquals("/srv/www/hello.php", p.get("SCRIPT_FILENAME"));
        assertEquals("name=you&x=1", p.get("QUERY_STRING"));
        assertEquals("/hello.php", p.get("SCRIPT_NAME"));
        assertEquals("/hello.php?name=you&x=1", p.get("REQUEST_URI"));
        assertEquals("/hello.php", p.get("DOCUMENT_URI"));
        assertEquals("/srv/www", p.get("DOCUMENT_ROOT"));
        assertEquals("", p.get("CONTENT_TYPE"));
        assertEquals("", p.get("CONTENT_LENGTH"));
        assertEquals("200", p.get("REDIRECT_STATUS"));
    }

    @Test
    void aDirectoryMapsToIndexPhp() {
        CgiRequestTemplate template = new CgiRequestTemplate("/var/www/html", null, List.of(), Map.of());
        Map<String, String> p = template.params("GET", "/", 0);
        assertEquals("/index.php", p.get("SCRIPT_NAME"));
        assertEquals("/var/www/html/index.php", p.get("SCRIPT_FILENAME"));
        assertEquals("/", p.get("DOCUMENT_URI"));
        assertEquals("", p.get("QUERY_STRING"));
    }

    @Test
    void headersParamsAndScriptFilenameOverride() {
        CgiRequestTemplate template = new CgiRequestTemplate("/var/www/html", "/opt/app/front.php",
                List.of(Map.entry("Host", "example.org"), Map.entry("X-Request-Id", "7"),
                        Map.entry("Content-Type", "application/json")),
                Map.of("SERVER_NAME", "example.org", "HTTPS", "on"));
        Map<String, String> p = template.params("POST", "/api/items", 12);

        assertEquals("/opt/app/front.php", p.get("SCRIPT_FILENAME"));
        assertEquals("example.org", p.get("HTTP_HOST"));
        assertEquals("7", p.get("HTTP_X_REQUEST_ID"));
        assertEquals("application/json", p.get("CONTENT_TYPE"));
        assertEquals("application/json", p.get("HTTP_CONTENT_TYPE"));
        assertEquals("12", p.get("CONTENT_LENGTH"));
        assertEquals("example.org", p.get("SERVER_NAME"));
        assertEquals("on", p.get("HTTPS"));
    }

    @Test
    void buildsARequestWithItsBody() {
        CgiRequestTemplate template = new CgiRequestTemplate("/var/www/html", null, List.of(), Map.of());
        FcgiClientRequest request = template.build(new RequestMix.Kind(1, "POST", "/upload.php", new byte[100]));

        assertEquals(100, request.bodyLength());
        FcgiParameters params = request.params();
        assertTrue(params.contains("CONTENT_LENGTH"));
        assertEquals("100", params.get("CONTENT_LENGTH"));
        assertEquals("application/octet-stream", params.get("CONTENT_TYPE"));
        assertEquals("POST", params.get("REQUEST_METHOD"));
    }
}
