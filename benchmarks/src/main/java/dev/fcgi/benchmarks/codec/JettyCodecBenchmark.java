package dev.fcgi.benchmarks.codec;

import org.eclipse.jetty.fcgi.FCGI;
import org.eclipse.jetty.fcgi.generator.ServerGenerator;
import org.eclipse.jetty.fcgi.parser.ServerParser;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteBufferPool;
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

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import static dev.fcgi.benchmarks.codec.CodecInputs.REQUEST_ID;

/**
 * Jetty 12's FastCGI parser and generator ({@code jetty-fcgi-client}, used by {@code jetty-fcgi-server}) on the
 * inputs of {@link RecordCodecBenchmark}, benchmark for benchmark, doing what Jetty's {@code ServerFCGIConnection}
 * and {@code HttpStreamOverFCGI} do with them:
 * <ul>
 * <li>{@code decodeNginxRequest}: the same request bytes, in a direct buffer (Jetty's default for input), through
 * one {@link ServerParser}; its listener adds each param, an {@link HttpField} of two strings, to an
 * {@link HttpFields.Mutable} made per request.</li>
 * <li>{@code encodeResponse}: {@link ServerGenerator#generateResponseHeaders} for status 200 and the same
 * {@code Content-Type}, then {@link ServerGenerator#generateResponseContent} with a body of {@code bodySize} bytes
 * and {@code last}: STDOUT with the head, the body sliced into STDOUT records, the empty STDOUT and END_REQUEST,
 * in buffers from an {@link ArrayByteBufferPool} (the server's default), direct (its default for output). The
 * bytes are those of {@link RecordCodecBenchmark} less the padding, which Jetty does not write.</li>
 * <li>{@code exchange4k}: both, with a 4 KiB body.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
@SuppressWarnings("removal") // ByteBufferPool.Accumulator: deprecated in 12.1, still what HttpStreamOverFCGI uses
public class JettyCodecBenchmark {

    /** A parser and the request bytes. */
    @State(Scope.Thread)
    public static class Request implements ServerParser.Listener {

        ServerParser parser;
        ByteBuffer wire;
        HttpFields.Mutable fields;
        boolean ended;

        @Setup(Level.Trial)
        public void setUp() {
            byte[] request = CodecInputs.nginxRequest();
            wire = ByteBuffer.allocateDirect(request.length).put(request).flip();
            parser = new ServerParser(this);
            HttpFields decoded = decode(this);
            if (decoded.size() != CodecInputs.NGINX_PARAMS.length) {
                throw new IllegalStateException("decoded " + decoded.size() + " params: " + decoded);
            }
            for (int i = 0; i < CodecInputs.NGINX_PARAMS.length; i++) {
                HttpField field = decoded.getField(i);
                if (!field.getName().equals(CodecInputs.NGINX_PARAMS[i][0])
                        || !field.getValue().equals(CodecInputs.NGINX_PARAMS[i][1])) {
                    throw new IllegalStateException("param " + i + ": " + field);
                }
            }
        }

        @Override
        public void onStart(int request, FCGI.Role role, int flags) {
            fields = HttpFields.build(32);
        }

        @Override
        public void onHeader(int request, HttpField field) {
            fields.add(field);
        }

        @Override
        public boolean onEnd(int request) {
            ended = true;
            return false;
        }

        @Override
        public void onFailure(int request, Throwable failure) {
            throw new IllegalStateException("request " + request, failure);
        }
    }

    /** A generator and a response body. */
    abstract static class Encoder {

        final ByteBufferPool pool = new ArrayByteBufferPool();
        final HttpFields headers = HttpFields.build().put(HttpHeader.CONTENT_TYPE, CodecInputs.CONTENT_TYPE)
                .asImmutable();
        ServerGenerator generator;
        ByteBuffer body;

        void open(int bodySize) {
            body = ByteBuffer.allocateDirect(bodySize).put(CodecInputs.body(bodySize)).flip();
            generator = new ServerGenerator(pool, true, true);
            long length = encode(this, null);
            if (length != CodecInputs.responseLength(bodySize, false)) {
                throw new IllegalStateException("generated " + length + " bytes, expected "
                        + CodecInputs.responseLength(bodySize, false));
            }
        }

        void close() {
            pool.clear();
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
    public HttpFields decodeNginxRequest(Request state) {
        return decode(state);
    }

    @Benchmark
    public long encodeResponse(Response state, Blackhole bh) {
        return encode(state, bh);
    }

    @Benchmark
    public long exchange4k(Request request, Response4k response, Blackhole bh) {
        bh.consume(decode(request));
        return encode(response, bh);
    }

    /** Parses the whole request, as {@code ServerFCGIConnection.parse} does: until the buffer is consumed. */
    private static HttpFields decode(Request state) {
        ByteBuffer wire = state.wire.rewind();
        state.ended = false;
        while (wire.hasRemaining()) {
            state.parser.parse(wire);
        }
        if (!state.ended) {
            throw new IllegalStateException("no end of request");
        }
        return state.fields;
    }

    /** Generates the response as {@code HttpStreamOverFCGI.commit} does; the caller releases the buffers. */
    static ByteBufferPool.Accumulator generateResponse(Encoder state) {
        ByteBufferPool.Accumulator accumulator = new ByteBufferPool.Accumulator();
        state.generator.generateResponseHeaders(accumulator, REQUEST_ID, CodecInputs.STATUS, null, state.headers);
        state.generator.generateResponseContent(accumulator, REQUEST_ID, state.body.rewind(), true, false);
        return accumulator;
    }

    /** Generates the response and returns the number of bytes. */
    private static long encode(Encoder state, Blackhole bh) {
        ByteBufferPool.Accumulator accumulator = generateResponse(state);
        long length = accumulator.getTotalLength();
        if (bh != null) {
            bh.consume(accumulator.getByteBuffers());
        }
        accumulator.release();
        return length;
    }
}
