package dev.fcgi.benchmarks.codec;

import dev.fcgi.protocol.FcgiBeginRequest;
import dev.fcgi.protocol.FcgiEndRequest;
import dev.fcgi.protocol.FcgiNameValueDecoder;
import dev.fcgi.protocol.FcgiNameValuePairs;
import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.FcgiParams;
import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.FcgiRecordDecoder;
import dev.fcgi.protocol.FcgiRecordEncoder;
import dev.fcgi.protocol.FcgiRole;
import dev.fcgi.protocol.FcgiStdin;
import dev.fcgi.protocol.FcgiStdout;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The record codec on the two hot paths of a request, without a socket: each operation drives an
 * {@link EmbeddedChannel} and releases everything it produced.
 * <ul>
 * <li>{@code decodeNginxRequest}: the bytes nginx sends for a GET (BEGIN_REQUEST, one PARAMS record with 28
 * {@code fastcgi_params}, the empty PARAMS and the empty STDIN), through {@link FcgiRecordDecoder} and
 * {@link FcgiNameValueDecoder} into {@link FcgiParameters}.</li>
 * <li>{@code encodeResponse}: a STDOUT of {@code Status}/{@code Content-Type} headers and a body of
 * {@code bodySize} bytes, the empty STDOUT and END_REQUEST, through {@link FcgiRecordEncoder}. The body is
 * sliced, not copied, so the cost grows with the number of records (one per 65535 bytes), not with the bytes.</li>
 * </ul>
 * Run: {@code java -jar benchmarks/target/benchmarks.jar RecordCodecBenchmark -prof gc}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class RecordCodecBenchmark {

    private static final int REQUEST_ID = 1;
    private static final long MAX_PARAMS_LENGTH = 64 * 1024;
    private static final int MAX_PAIRS = 256;

    /** What nginx's stock {@code fastcgi_params} plus a few request headers produce for a browser GET. */
    private static final String[][] NGINX_PARAMS = {
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

    private static final byte[] RESPONSE_HEADERS =
            "Status: 200 OK\r\nContent-Type: text/html\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** A decoder channel and the request bytes, encoded once. */
    @State(Scope.Thread)
    public static class Request {

        EmbeddedChannel channel;
        ByteBuf wire;

        @Setup(Level.Trial)
        public void setUp() {
            FcgiParameters params = new FcgiParameters(NGINX_PARAMS.length);
            for (String[] pair : NGINX_PARAMS) {
                params.add(pair[0], pair[1]);
            }
            ByteBuf pairs = Unpooled.buffer(params.encodedLength());
            FcgiNameValuePairs.encode(pairs, params);
            wire = encode(
                    new FcgiBeginRequest(REQUEST_ID, FcgiRole.RESPONDER, true),
                    new FcgiParams(REQUEST_ID, pairs),
                    FcgiParams.endOfStream(REQUEST_ID),
                    FcgiStdin.endOfStream(REQUEST_ID));
            channel = new EmbeddedChannel(new FcgiRecordDecoder());

            FcgiParameters decoded = decode(this, null);
            if (!decoded.equals(params)) {
                throw new IllegalStateException("decoded " + decoded + ", expected " + params);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            channel.finishAndReleaseAll();
            wire.release();
        }
    }

    /** An encoder channel and a response body of {@code bodySize} bytes, headers first. */
    @State(Scope.Thread)
    public static class Response {

        @Param({"13", "4096", "1048576"})
        public int bodySize;

        EmbeddedChannel channel;
        ByteBuf content;

        @Setup(Level.Trial)
        public void setUp() {
            byte[] body = new byte[bodySize];
            Arrays.fill(body, (byte) 'x');
            content = ByteBufAllocator.DEFAULT.directBuffer(RESPONSE_HEADERS.length + bodySize)
                    .writeBytes(RESPONSE_HEADERS)
                    .writeBytes(body);
            channel = new EmbeddedChannel(FcgiRecordEncoder.INSTANCE);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            channel.finishAndReleaseAll();
            content.release();
        }
    }

    @Benchmark
    public FcgiParameters decodeNginxRequest(Request state, Blackhole bh) {
        return decode(state, bh);
    }

    @Benchmark
    public void encodeResponse(Response state, Blackhole bh) {
        EmbeddedChannel ch = state.channel;
        ch.writeOutbound(new FcgiStdout(REQUEST_ID, state.content.retainedDuplicate()),
                FcgiStdout.endOfStream(REQUEST_ID),
                new FcgiEndRequest(REQUEST_ID, 0, FcgiProtocolStatus.REQUEST_COMPLETE));
        for (ByteBuf buf; (buf = ch.readOutbound()) != null; ) {
            bh.consume(buf.readableBytes());
            buf.release();
        }
    }

    private static FcgiParameters decode(Request state, Blackhole bh) {
        EmbeddedChannel ch = state.channel;
        ch.writeInbound(state.wire.retainedDuplicate());
        FcgiNameValueDecoder params = new FcgiNameValueDecoder(new FcgiParameters(32), MAX_PARAMS_LENGTH, MAX_PAIRS);
        for (Object msg; (msg = ch.readInbound()) != null; ) {
            switch (msg) {
                case FcgiBeginRequest begin -> {
                    if (bh != null) {
                        bh.consume(begin);
                    }
                }
                case FcgiParams record -> {
                    try {
                        if (record.isEndOfStream()) {
                            params.finish();
                        } else {
                            params.decode(record.content());
                        }
                    } finally {
                        record.release();
                    }
                }
                case FcgiStdin stdin -> stdin.release();
                default -> throw new IllegalStateException("unexpected record: " + msg);
            }
        }
        return params.params();
    }

    /** The bytes the encoder writes for {@code records}, in one direct buffer. */
    private static ByteBuf encode(Object... records) {
        EmbeddedChannel ch = new EmbeddedChannel(FcgiRecordEncoder.INSTANCE);
        ch.writeOutbound(records);
        ByteBuf wire = ByteBufAllocator.DEFAULT.directBuffer();
        for (ByteBuf buf; (buf = ch.readOutbound()) != null; ) {
            wire.writeBytes(buf);
            buf.release();
        }
        ch.finishAndReleaseAll();
        return wire;
    }
}
