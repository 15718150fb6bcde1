package dev.fcgi.benchmarks.codec;

import dev.fcgi.protocol.DirectCodec;
import dev.fcgi.protocol.FcgiBeginRequest;
import dev.fcgi.protocol.FcgiEndRequest;
import dev.fcgi.protocol.FcgiHttpReasons;
import dev.fcgi.protocol.FcgiNameValueDecoder;
import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.FcgiParams;
import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.FcgiRecordDecoder;
import dev.fcgi.protocol.FcgiRecordEncoder;
import dev.fcgi.protocol.FcgiStdin;
import dev.fcgi.protocol.FcgiStdout;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.fcgi.benchmarks.codec.CodecInputs.REQUEST_ID;

/**
 * The record codec on the two hot paths of a request, without a socket: each operation calls the decoder or the
 * encoder directly ({@link DirectCodec}, as Jetty's are called) and releases everything it produced. {@link JettyCodecBenchmark} runs the same
 * {@link CodecInputs} through Jetty's parser and generator.
 * <ul>
 * <li>{@code decodeNginxRequest}: the bytes nginx sends for a GET (BEGIN_REQUEST, one PARAMS record with 28
 * {@code fastcgi_params}, the empty PARAMS and the empty STDIN), through {@link FcgiRecordDecoder} and
 * {@link FcgiNameValueDecoder} into {@link FcgiParameters}.</li>
 * <li>{@code encodeResponse}: the CGI head ({@code Status: 200 OK}, {@code Content-Type}) written from the status
 * and the header list as the server writes it, in a STDOUT of its own; a body of {@code bodySize} bytes; the empty
 * STDOUT and END_REQUEST; through {@link FcgiRecordEncoder}. A body over 512 bytes is sliced, not copied, so the cost grows with
 * the number of records (one per 65535 bytes), not with the bytes.</li>
 * <li>{@code exchange4k}: both, with a 4 KiB body.</li>
 * </ul>
 * Run: {@code java -jar benchmarks/target/benchmarks.jar 'RecordCodec|JettyCodec' -prof gc}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class RecordCodecBenchmark {

    private static final long MAX_PARAMS_LENGTH = 64 * 1024;
    private static final int MAX_PAIRS = 256;
    private static final String[][] RESPONSE_HEADERS = {{"Content-Type", CodecInputs.CONTENT_TYPE}};

    /** A decoder channel and the request bytes. */
    @State(Scope.Thread)
    public static class Request {

        final FcgiRecordDecoder decoder = new FcgiRecordDecoder();
        final List<Object> records = new ArrayList<>();
        ByteBuf wire;

        @Setup(Level.Trial)
        public void setUp() {
            byte[] request = CodecInputs.nginxRequest();
            wire = ByteBufAllocator.DEFAULT.directBuffer(request.length).writeBytes(request);
            FcgiParameters decoded = decode(this, null);
            if (!decoded.equals(CodecInputs.nginxParams())) {
                throw new IllegalStateException("decoded " + decoded + ", expected " + CodecInputs.nginxParams());
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            wire.release();
        }
    }

    /** An encoder channel and a response body. */
    abstract static class Encoder {

        final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        final List<Object> out = new ArrayList<>();
        ByteBuf body;

        void open(int bodySize) {
            body = alloc.directBuffer(bodySize).writeBytes(CodecInputs.body(bodySize));
            long length = encode(this, null);
            if (length != CodecInputs.responseLength(bodySize, true)) {
                throw new IllegalStateException("encoded " + length + " bytes, expected "
                        + CodecInputs.responseLength(bodySize, true));
            }
        }

        void close() {
            body.release();
        }
    }

    /** A response body of {@code bodySize} bytes. */
    @State(Scope.Thread)
    public static class Response extends Encoder {

        @Param({"13", "4096", "1048576"})
        public int bodySize;

        @Setup(Level.Trial)
        public void setUp() {
            open(bodySize);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    /** A 4 KiB response body, for {@code exchange4k}. */
    @State(Scope.Thread)
    public static class Response4k extends Encoder {

        @Setup(Level.Trial)
        public void setUp() {
            open(4096);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    @Benchmark
    public FcgiParameters decodeNginxRequest(Request state, Blackhole bh) {
        return decode(state, bh);
    }

    @Benchmark
    public long encodeResponse(Response state, Blackhole bh) {
        return encode(state, bh);
    }

    @Benchmark
    public long exchange4k(Request request, Response4k response, Blackhole bh) {
        bh.consume(decode(request, bh));
        return encode(response, bh);
    }

    private static FcgiParameters decode(Request state, Blackhole bh) {
        List<Object> records = state.records;
        ByteBuf wire = state.wire.retainedDuplicate();          // stands in for the socket's read buffer
        try {
            DirectCodec.decode(state.decoder, wire, records);
        } finally {
            wire.release();
        }
        FcgiNameValueDecoder params = new FcgiNameValueDecoder(new FcgiParameters(32), MAX_PARAMS_LENGTH, MAX_PAIRS);
        for (int i = 0; i < records.size(); i++) {
            switch (records.get(i)) {
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
                default -> throw new IllegalStateException("unexpected record: " + records.get(i));
            }
        }
        records.clear();
        return params.params();
    }

    /** Encodes the response into the state's list of buffers, as the pipeline's encoder would. */
    static void writeResponse(Encoder state) {
        byte[] head = headerBlock(CodecInputs.STATUS, RESPONSE_HEADERS);
        ByteBufAllocator alloc = state.alloc;
        List<Object> out = state.out;
        DirectCodec.encode(alloc, new FcgiStdout(REQUEST_ID, alloc.buffer(head.length).writeBytes(head)), out);
        DirectCodec.encode(alloc, new FcgiStdout(REQUEST_ID, state.body.retainedDuplicate()), out);
        DirectCodec.encode(alloc, FcgiStdout.endOfStream(REQUEST_ID), out);
        DirectCodec.encode(alloc, new FcgiEndRequest(REQUEST_ID, 0, FcgiProtocolStatus.REQUEST_COMPLETE), out);
    }

    /** Encodes the response and returns the number of bytes written. */
    private static long encode(Encoder state, Blackhole bh) {
        writeResponse(state);
        long length = 0;
        List<Object> out = state.out;
        for (int i = 0; i < out.size(); i++) {
            ByteBuf buf = (ByteBuf) out.get(i);
            length += buf.readableBytes();
            if (bh != null) {
                bh.consume(buf);
            }
            buf.release();
        }
        out.clear();
        return length;
    }

    /** The CGI head, written as the server's {@code ServerResponse.headerBlock} writes it. */
    private static byte[] headerBlock(int status, String[][] headers) {
        StringBuilder head = new StringBuilder(128);
        head.append("Status: ").append(status).append(' ').append(FcgiHttpReasons.of(status)).append("\r\n");
        for (String[] header : headers) {
            head.append(header[0]).append(": ").append(header[1]).append("\r\n");
        }
        head.append("\r\n");
        return head.toString().getBytes(StandardCharsets.UTF_8);
    }
}
