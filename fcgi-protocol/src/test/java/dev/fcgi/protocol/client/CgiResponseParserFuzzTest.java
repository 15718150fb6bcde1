package dev.fcgi.protocol.client;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fcgi.protocol.testing.FuzzInput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of the client's {@link CgiResponseParser} with Jazzer. The input is an application's
 * STDOUT stream, in records of the fuzzer's choosing ({@link FuzzInput}); the seeds are the STDOUT of captured
 * php-fpm, php-cgi and server responses. Each input is parsed as {@link ClientConnection} does (fed record by
 * record until the header block is complete, the rest being body) with a 256-byte limit, whole and in the chosen
 * records. For every input:
 * <ul>
 * <li>nothing but {@link FcgiClientException} is thrown, and the parser lets go of every buffer;
 * <li>the head, the body bytes, or the failure, are the same whole and split;
 * <li>a parsed block is at most 256 bytes, and the head plus the body are the whole stream;
 * <li>the status is 100 to 999; header names are non-empty and hold no control character, space, colon or
 *     non-ASCII; values hold no CR, LF or NUL (RFC 9110, section 5.5) and no leading or trailing white space.
 * </ul>
 * Findings kept as regression inputs: {@code finding-bare-cr-in-header-value} (a bare CR inside a header line was
 * passed on in the value, {@code "b=2\rX-Empty:"}; such lines are now rejected as malformed).
 */
class CgiResponseParserFuzzTest {

    private static final int MAX_LENGTH = 256;

    /** What parsing gave: the head, the block's length and the body bytes; or why there is no head. */
    private record Outcome(CgiResponseParser.Head head, int blockLength, byte[] body, String failure) {

        static Outcome failed(String failure) {
            return new Outcome(null, 0, null, failure);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Outcome other && Objects.equals(head, other.head) && blockLength == other.blockLength
                    && Arrays.equals(body, other.body) && Objects.equals(failure, other.failure);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(body);
        }
    }

    @FuzzTest
    void parse(FuzzedDataProvider data) {
        FuzzInput input = FuzzInput.read(data);
        byte[] stdout = input.stream();
        Outcome whole = parse(stdout, left -> left);
        assertEquals(whole, parse(stdout, input.readSizes()), input.toString());
        if (whole.failure() != null) {
            return;
        }
        assertTrue(whole.blockLength() <= MAX_LENGTH, "a block of " + whole.blockLength() + " bytes");
        assertEquals(stdout.length, whole.blockLength() + whole.body().length);
        assertTrue(Arrays.equals(stdout, whole.blockLength(), stdout.length, whole.body(), 0, whole.body().length),
                "the body is what follows the block");
        CgiResponseParser.Head head = whole.head();
        assertTrue(head.status() >= 100 && head.status() <= 999, "status " + head.status());
        checkValue("reason", head.reason());
        for (Map.Entry<String, String> header : head.headers()) {
            String name = header.getKey();
            assertFalse(name.isEmpty(), "an empty header name");
            assertTrue(name.chars().allMatch(c -> c > ' ' && c < 0x7F && c != ':'), "header name " + name);
            checkValue(name, header.getValue());
        }
    }

    private static void checkValue(String what, String value) {
        assertTrue(value.chars().noneMatch(c -> c == '\r' || c == '\n' || c == 0), what + ": CR, LF or NUL in '"
                + value + "'");
        assertEquals(value.strip(), value, what + ": white space around '" + value + "'");
    }

    /** Feeds the stream record by record as the client does, each record a leak-tracked buffer released after. */
    private static Outcome parse(byte[] stdout, IntUnaryOperator reads) {
        CgiResponseParser parser = new CgiResponseParser(MAX_LENGTH);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        CgiResponseParser.Head head = null;
        int blockLength = 0;
        try {
            int at = 0;
            while (at < stdout.length) {
                int n = reads.applyAsInt(stdout.length - at);
                if (head != null) {
                    body.write(stdout, at, n);
                    at += n;
                    continue;
                }
                ByteBuf record = ByteBufAllocator.DEFAULT.buffer(n).writeBytes(stdout, at, n);
                int fedBefore = parser.length();
                try {
                    CgiResponseParser.Parsed parsed = parser.feed(ByteBufAllocator.DEFAULT, record);
                    if (parsed != null) {
                        head = parsed.head();
                        int restLength = parsed.rest() == null ? 0 : parsed.rest().readableBytes();
                        blockLength = fedBefore + n - restLength;
                        if (parsed.rest() != null) {
                            body.writeBytes(ByteBufUtil.getBytes(parsed.rest()));
                            parsed.rest().release();
                        }
                    }
                } finally {
                    record.release();
                }
                at += n;
            }
        } catch (FcgiClientException e) {
            parser.release();
            return Outcome.failed("rejected");
        }
        parser.release();
        if (head == null) {
            return Outcome.failed("no blank line");           // the client fails at END_REQUEST
        }
        return new Outcome(head, blockLength, body.toByteArray(), null);
    }
}
