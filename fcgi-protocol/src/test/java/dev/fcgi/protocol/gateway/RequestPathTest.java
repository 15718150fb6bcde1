package dev.fcgi.protocol.gateway;

import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link RequestPath} and {@link ScriptMapper}: how a request-target becomes SCRIPT_NAME and PATH_INFO. */
class RequestPathTest {

    private static final Pattern NGINX_SPLIT = Pattern.compile("^(.+?\\.php)(/.*)$");

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/                      | /                   | ''",
            "/a/b.php?x=1&y         | /a/b.php            | x=1&y",
            "//a///b/./c.php        | /a/b/c.php          | ''",
            "/a/b/                  | /a/b/               | ''",
            "/a/b/.                 | /a/b/               | ''",
            "/a%20b/c%2Fd.php       | /a b/c/d.php        | ''",
            "/?                     | /                   | ''",
            "http://host:8080/x.php?q | /x.php            | q",
            "HTTPS://host           | /                   | ''",
            "http://host?q=1        | /                   | q=1",
    })
    void parses(String target, String path, String query) throws Exception {
        RequestPath parsed = RequestPath.parse(target);
        assertEquals(path, parsed.path());
        assertEquals(query, parsed.query());
    }

    @Test
    void keepsTheRequestUriAsSentAndDecodedBytesAsBytes() throws Exception {
        RequestPath parsed = RequestPath.parse("/caf%C3%A9.php?n=%C3%A9");
        assertEquals("/caf%C3%A9.php?n=%C3%A9", parsed.requestUri());
        assertEquals("/café.php", new String(parsed.path().getBytes(StandardCharsets.ISO_8859_1),
                StandardCharsets.UTF_8), "one char per byte, UTF-8 bytes kept");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/..", "/../x", "/a/../b", "/a/%2e%2e/b", "/a/%2E%2e", "/a/..%2f..%2fetc", "/%00",
            "/a%0", "/a%g0", "*", "host:443", "x.php", "ftp://host/x"})
    void refuses(String target) {
        HttpStatusException e = assertThrows(HttpStatusException.class, () -> RequestPath.parse(target));
        assertEquals(HttpResponseStatus.BAD_REQUEST, e.status());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/index.php                | /index.php       | ''",
            "/index.php/               | /index.php       | /",
            "/app/index.php/a/b        | /app/index.php   | /a/b",
            "/a.php/b.php/c            | /a.php           | /b.php/c",
            "/                         | /index.php       | ''",
            "/dir/                     | /dir/index.php   | ''",
            "/style.css                | /style.css       | ''",
            "/x.phpx/y                 | /x.phpx/y        | ''",
    })
    void fileMode(String path, String scriptName, String pathInfo) throws Exception {
        ScriptMapper.Target target = new ScriptMapper(NGINX_SPLIT, "index.php", null).map(path);
        assertEquals(scriptName, target.scriptName());
        assertEquals(pathInfo, target.pathInfo());
    }

    @Test
    void frontControllerMode() throws Exception {
        ScriptMapper.Target target = new ScriptMapper(NGINX_SPLIT, "index.php", "/public/index.php").map("/a/b.php/c");
        assertEquals("/public/index.php", target.scriptName());
        assertEquals("/a/b.php/c", target.pathInfo());
    }

    @Test
    void aPatternCannotLeadOutOfTheDocumentRoot() {
        // A careless pattern that captures from the middle of a segment: "x.." + "/.." would make "/../secret".
        ScriptMapper mapper = new ScriptMapper(Pattern.compile("^/x(.*)(/secret)$"), "index.php", null);
        HttpStatusException e = assertThrows(HttpStatusException.class, () -> mapper.map("/x../secret"));
        assertEquals(HttpResponseStatus.BAD_REQUEST, e.status());
    }
}
