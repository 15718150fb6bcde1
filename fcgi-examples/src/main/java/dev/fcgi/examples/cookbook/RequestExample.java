package dev.fcgi.examples.cookbook;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;

import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

import static java.nio.charset.StandardCharsets.UTF_8;

/** Reading a request: CGI params, HTTP headers and a POST body of any size (streamed, never held whole). */
public final class RequestExample implements FcgiHandler {

    @Override
    public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        long length = 0;
        try (InputStream body = request.body()) {                  // large bodies spool to a temp file
            byte[] buffer = new byte[16 * 1024];
            for (int n; (n = body.read(buffer)) >= 0; length += n) {
                sha256.update(buffer, 0, n);
            }
        }
        String text = request.method() + " " + request.requestUri() + "\n"
                + "script: " + request.scriptFilename() + "\n"
                + "from: " + request.remoteAddr() + "\n"
                + "user-agent: " + request.header("User-Agent") + "\n"       // HTTP_USER_AGENT
                + "cookie: " + request.header("Cookie") + "\n"
                + "body: " + length + " bytes, sha256 " + HexFormat.of().formatHex(sha256.digest()) + "\n";
        response.status(200).contentType("text/plain; charset=utf-8").header("X-Example", "request");
        try (OutputStream out = response.body()) {
            out.write(text.getBytes(UTF_8));
        }
    }
}
