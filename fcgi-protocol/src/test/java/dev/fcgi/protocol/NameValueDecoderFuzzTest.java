package dev.fcgi.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fcgi.protocol.testing.FuzzInput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.function.IntUnaryOperator;

import static dev.fcgi.protocol.FcgiTestWire.WHOLE_READS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of {@link FcgiNameValueDecoder} with Jazzer. The input is the content of a PARAMS stream,
 * in records of the fuzzer's choosing ({@link FuzzInput}); the seeds are the params of the golden vectors and of
 * captured nginx and Apache requests. Each input is decoded with no limits, and with tight ones (256 bytes, 8
 * pairs), whole and in the chosen records, in direct buffers as a socket gives them (option bit 0: heap buffers);
 * {@link FcgiNameValuePairs#decode}, the decoder of whole management records, is the reference. For every input:
 * <ul>
 * <li>nothing but {@link FcgiParamsException} is thrown, and every piece is consumed whole;
 * <li>the pairs, or the kind of error, are the same whole and split;
 * <li>without limits, the pairs are the reference's, and the stream is malformed exactly when the reference fails;
 * <li>with limits, a success has the reference's pairs, within both limits; a stream within both limits succeeds;
 *     "too large" means a limit was passed (or the reference fails too).
 * </ul>
 * A declared length near 2^31 must cost no memory: the fuzzer's JVM has 512 MB.
 */
class NameValueDecoderFuzzTest {

    private static final int MAX_LENGTH = 256;
    private static final int MAX_PAIRS = 8;

    /** What one decoding gave: the pairs, or the kind of error. */
    private record Result(FcgiParameters params, String error) {
    }

    @FuzzTest
    void decode(FuzzedDataProvider data) {
        FuzzInput input = FuzzInput.read(data);
        byte[] content = input.stream();
        FcgiParameters reference = reference(content);

        boolean heap = input.option(0);
        Result unlimited = decode(content, Long.MAX_VALUE, Integer.MAX_VALUE, WHOLE_READS, heap);
        assertEquals(unlimited, decode(content, Long.MAX_VALUE, Integer.MAX_VALUE, input.readSizes(), heap),
                input.toString());
        if (reference != null) {
            assertEquals(reference, unlimited.params(), "pairs, against the reference");
        } else {
            assertTrue(unlimited.error() != null, "the reference fails, the decoder does not: " + unlimited);
        }

        Result limited = decode(content, MAX_LENGTH, MAX_PAIRS, WHOLE_READS, heap);
        assertEquals(limited, decode(content, MAX_LENGTH, MAX_PAIRS, input.readSizes(), heap), input.toString());
        boolean withinLimits = reference != null && content.length <= MAX_LENGTH && reference.size() <= MAX_PAIRS;
        if (limited.error() == null) {
            assertTrue(withinLimits, "past a limit, but decoded: " + limited.params());
            assertEquals(reference, limited.params(), "pairs with limits, against the reference");
        } else if (limited.error().equals("too large")) {
            assertFalse(withinLimits, "within the limits, but too large");
        } else {
            assertTrue(reference == null, "malformed, but the reference decodes it: " + reference);
        }
    }

    /**
     * Decodes the content in pieces, each from its own leak-tracked buffer (on the heap or, as a socket gives them,
     * direct), released afterwards; checks that each piece is consumed whole.
     */
    private static Result decode(byte[] content, long maxLength, int maxPairs, IntUnaryOperator reads,
                                 boolean heap) {
        FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), maxLength, maxPairs);
        try {
            int at = 0;
            while (at < content.length) {
                int n = reads.applyAsInt(content.length - at);
                ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
                ByteBuf piece = (heap ? alloc.heapBuffer(n) : alloc.directBuffer(n)).writeBytes(content, at, n);
                try {
                    decoder.decode(piece);
                    assertFalse(piece.isReadable(), "a piece was not consumed");
                } finally {
                    piece.release();
                }
                at += n;
            }
            decoder.finish();
            return new Result(decoder.params(), null);
        } catch (FcgiParamsException e) {
            return new Result(null, e.isTooLarge() ? "too large" : "malformed");
        }
    }

    /** The pairs by the management-record decoder, or null when it finds the content malformed. */
    private static FcgiParameters reference(byte[] content) {
        FcgiParameters params = new FcgiParameters();
        try {
            FcgiNameValuePairs.decode(Unpooled.wrappedBuffer(content),
                    (name, value) -> params.add(name, value.getBytes(StandardCharsets.ISO_8859_1)));
            return params;
        } catch (FcgiProtocolException e) {
            return null;
        }
    }
}
