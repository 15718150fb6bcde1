package dev.fcgi.benchmarks.soak;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server side of the soak, for a pool of the {@code fpm} daemon ({@code handler =
 * dev.fcgi.benchmarks.soak.SoakHandler}): reads the call from the query string ({@link SoakCall}), checks that the
 * {@value SoakCall#ID_HEADER} header carries the same id (400 otherwise), reads the whole body (after the call's
 * read delay), waits the call's sleep (cut short by an abort), and answers 200 with
 * <ul>
 *   <li>{@value SoakCall#ID_HEADER}: the id;</li>
 *   <li>{@value SoakCall#RECEIVED_LENGTH_HEADER} and {@value SoakCall#RECEIVED_CRC_HEADER}: the length and CRC32C
 *       of the body it read;</li>
 *   <li>{@value SoakCall#BODY_CRC_HEADER} and {@code Content-Length}: of the body it sends, the call's
 *       {@link SoakPayload} of {@code size} bytes;</li>
 *   <li>{@code X-Accel-Buffering: no} when the call asks for it.</li>
 * </ul>
 * {@value SoakCall#TOTALS_PATH} answers the {@link SoakTotals} of this JVM, which are also written to standard
 * error when the JVM exits (after a graceful stop: every request the server accepted has ended by then).
 */
public final class SoakHandler implements FcgiHandler {

    private static final LongAdder ANSWERED = new LongAdder();
    private static final LongAdder UNFINISHED = new LongAdder();
    private static final LongAdder ABORT_CALLS = new LongAdder();
    private static final LongAdder ABORTS_SEEN = new LongAdder();
    private static final LongAdder REJECTED = new LongAdder();

    static {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("soak-totals").unstarted(
                () -> System.err.println(SoakTotals.EXIT_PREFIX + totals().format())));
    }

    /** A handler; the counts are shared by every instance in the JVM. */
    public SoakHandler() {
    }

    /** The counts so far. */
    static SoakTotals totals() {
        return new SoakTotals(ANSWERED.sum(), UNFINISHED.sum(), ABORT_CALLS.sum(), ABORTS_SEEN.sum(), REJECTED.sum());
    }

    @Override
    public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        if (request.requestUri().startsWith(SoakCall.TOTALS_PATH)) {
            answerText(response, 200, totals().format() + "\n");
            return;
        }
        SoakCall call;
        try {
            call = SoakCall.parse(request.queryString());
        } catch (IllegalArgumentException e) {
            REJECTED.increment();
            answerText(response, 400, e.getMessage() + "\n");
            return;
        }
        String header = request.header(SoakCall.ID_HEADER);
        if (!Long.toString(call.id()).equals(header)) {
            REJECTED.increment();
            answerText(response, 400, "id " + call.id() + " in the query, " + header + " in the header\n");
            return;
        }
        if (call.abort()) {
            ABORT_CALLS.increment();
        }
        boolean finished;
        try {
            finished = serve(call, request, response);
        } catch (IOException | RuntimeException e) {
            if (!call.abort()) {
                UNFINISHED.increment();
                throw e;                // the server logs it: an accepted request lost its answer
            }
            finished = false;
        }
        if (!call.abort()) {
            (finished ? ANSWERED : UNFINISHED).increment();
        } else if (!finished || request.isAborted()) {
            ABORTS_SEEN.increment();
        }
    }

    /** Serves a call; false when it was aborted while the handler waited. */
    private static boolean serve(SoakCall call, FcgiRequest request, FcgiResponse response) throws IOException {
        if (call.readDelayMillis() > 0 && aborted(request, call.readDelayMillis())) {
            return false;
        }
        SoakPayload.Sum received = SoakPayload.Sum.of(request.body());
        if (call.sleepMillis() > 0 && aborted(request, call.sleepMillis())) {
            return false;
        }
        long seed = SoakPayload.responseSeed(call.id());
        response.status(200).contentType("application/octet-stream")
                .header(SoakCall.ID_HEADER, Long.toString(call.id()))
                .header(SoakCall.RECEIVED_LENGTH_HEADER, Long.toString(received.length()))
                .header(SoakCall.RECEIVED_CRC_HEADER, SoakPayload.Sum.hex(received.crc32c()))
                .header(SoakCall.BODY_CRC_HEADER, SoakPayload.Sum.hex(SoakPayload.crc32c(seed, call.responseBytes())))
                .header("Content-Length", Long.toString(call.responseBytes()));
        if (call.unbuffered()) {
            response.header("X-Accel-Buffering", "no");
        }
        OutputStream body = response.body();
        try (SoakPayload payload = new SoakPayload(seed, call.responseBytes())) {
            payload.transferTo(body);
        }
        response.finish();
        return true;
    }

    /** Waits {@code millis}, or until the request is aborted; whether it was. */
    private static boolean aborted(FcgiRequest request, int millis) {
        CountDownLatch aborted = new CountDownLatch(1);
        request.onAbort(aborted::countDown);
        try {
            return aborted.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();     // terminated by the pool: the request ends unanswered
            return true;
        }
    }

    private static void answerText(FcgiResponse response, int status, String text) throws IOException {
        response.status(status).contentType("text/plain");
        response.body().write(text.getBytes(StandardCharsets.UTF_8));
    }
}
