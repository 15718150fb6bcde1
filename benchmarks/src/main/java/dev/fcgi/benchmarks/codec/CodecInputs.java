package dev.fcgi.benchmarks.codec;

import dev.fcgi.protocol.FcgiBeginRequest;
import dev.fcgi.protocol.FcgiNameValuePairs;
import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.FcgiParams;
import dev.fcgi.protocol.FcgiRecordEncoder;
import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.FcgiStdin;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import java.util.Arrays;

/**
 * The inputs {@link RecordCodecBenchmark} and {@link JettyCodecBenchmark} share, so that both codecs see the same
 * bytes: the request nginx sends for a typical GET, and the head and body of the response.
 */
final class CodecInputs {

    static final int REQUEST_ID = 1;

    /** What nginx's stock {@code fastcgi_params} plus a few request headers produce for a browser GET. */
    static final String[][] NGINX_PARAMS = {
            {"QUERY_STRING", "page=2&sort=desc"},
            {"REQUEST_METHOD", "GET"},
            {"CONTENT_TYPE", ""},
            {"CONTENT_LENGTH", ""},
            {"SCRIPT_NAME", "/index.php"},
            {"REQUEST_URI", "/blog/fastcgi-on-the-jvm?page=2&sort=desc"},
            {"DOCUMENT_URI", "/index.php"},
            {"DOCUMENT_ROOT", "/var/www/html"},
            {"SERVER_PROTOCOL", "HTTP/1.1"},
            {"REQUEST_SCHEME", "https"},
            {"HTTPS", "on"},
            {"GATEWAY_INTERFACE", "CGI/1.1"},
            {"SERVER_SOFTWARE", "nginx/1.24.0"},
            {"REMOTE_ADDR", "203.0.113.42"},
            {"REMOTE_PORT", "51234"},
            {"SERVER_ADDR", "10.0.0.5"},
            {"SERVER_PORT", "443"},
            {"SERVER_NAME", "example.com"},
            {"REDIRECT_STATUS", "200"},
            {"SCRIPT_FILENAME", "/var/www/html/index.php"},
            {"PATH_INFO", ""},
            {"HTTP_HOST", "example.com"},
            {"HTTP_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                    + "Chrome/124.0.0.0 Safari/537.36"},
            {"HTTP_ACCEPT", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
                    + "*/*;q=0.8"},
            {"HTTP_ACCEPT_ENCODING", "gzip, deflate, br, zstd"},
            {"HTTP_ACCEPT_LANGUAGE", "en-US,en;q=0.9,de;q=0.8"},
            {"HTTP_CONNECTION", "keep-alive"},
            {"HTTP_COOKIE", "sessionid=8f14e45fceea167a5a36dedd4bea2543; theme=dark; "
                    + "_ga=GA1.2.1234567890.1700000000; csrftoken=Zx9TQm3kLr7VwP2sYb6NcJ4hGd8FaE1u"},
    };

    /** The response's status; with {@link #CONTENT_TYPE} the head is {@code Status: 200 OK} and one header. */
    static final int STATUS = 200;
    static final String CONTENT_TYPE = "text/html";
    /** The CGI head both encoders write: {@code Status: 200 OK\r\nContent-Type: text/html\r\n\r\n}. */
    static final int HEAD_LENGTH = ("Status: 200 OK\r\nContent-Type: " + CONTENT_TYPE + "\r\n\r\n").length();

    private CodecInputs() {
    }

    /** {@link #NGINX_PARAMS} as parameters. */
    static FcgiParameters nginxParams() {
        FcgiParameters params = new FcgiParameters(NGINX_PARAMS.length);
        for (String[] pair : NGINX_PARAMS) {
            params.add(pair[0], pair[1]);
        }
        return params;
    }

    /**
     * The request on the wire, as nginx sends it with {@code fastcgi_keep_conn on}: BEGIN_REQUEST, one PARAMS record
     * with every pair, the empty PARAMS and the empty STDIN, each padded to a multiple of 8 bytes.
     */
    static byte[] nginxRequest() {
        FcgiParameters params = nginxParams();
        ByteBuf pairs = Unpooled.buffer(params.encodedLength());
        FcgiNameValuePairs.encode(pairs, params);
        EmbeddedChannel ch = new EmbeddedChannel(FcgiRecordEncoder.INSTANCE);
        ch.writeOutbound(
                new FcgiBeginRequest(REQUEST_ID, FcgiRole.RESPONDER, true),
                new FcgiParams(REQUEST_ID, pairs),
                FcgiParams.endOfStream(REQUEST_ID),
                FcgiStdin.endOfStream(REQUEST_ID));
        ByteBuf wire = Unpooled.buffer();
        for (ByteBuf buf; (buf = ch.readOutbound()) != null; ) {
            wire.writeBytes(buf);
            buf.release();
        }
        ch.finishAndReleaseAll();
        return Arrays.copyOf(wire.array(), wire.writerIndex());
    }

    /** A response body of {@code size} bytes of {@code x}. */
    static byte[] body(int size) {
        byte[] body = new byte[size];
        Arrays.fill(body, (byte) 'x');
        return body;
    }

    /**
     * The bytes of the whole response on the wire: a STDOUT with the head, the body in STDOUT records of at most
     * 65535 bytes, the empty STDOUT and END_REQUEST; {@code padded} adds the padding to a multiple of 8 that we
     * write and Jetty does not.
     */
    static long responseLength(int bodySize, boolean padded) {
        long length = record(HEAD_LENGTH, padded);
        for (int left = bodySize; left > 0; left -= 65535) {
            length += record(Math.min(left, 65535), padded);
        }
        return length + record(0, padded) + record(8, padded);
    }

    private static long record(int contentLength, boolean padded) {
        return 8 + contentLength + (padded ? -contentLength & 7 : 0);
    }
}
