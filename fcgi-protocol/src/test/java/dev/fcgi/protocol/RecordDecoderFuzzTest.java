package dev.fcgi.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.fcgi.protocol.FcgiTestWire.Chunk;
import dev.fcgi.protocol.FcgiTestWire.Outcome;
import dev.fcgi.protocol.testing.FuzzInput;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.List;

import static dev.fcgi.protocol.FcgiTestWire.WHOLE_READS;
import static dev.fcgi.protocol.FcgiTestWire.encode;
import static dev.fcgi.protocol.FcgiTestWire.outcome;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Coverage-guided fuzzing of {@link FcgiRecordDecoder} with Jazzer (the README's "Fuzzing" section has the
 * commands). The input is the byte stream a peer sends, in reads of the fuzzer's choosing ({@link FuzzInput}); the
 * seeds in {@code RecordDecoderFuzzTestInputs/decode} are the golden vectors and captured nginx, Apache, php-fpm
 * and php-cgi traffic. For every input:
 * <ul>
 * <li>nothing but {@link FcgiProtocolException} is thrown, at most once, and no record follows it;
 * <li>the decoder holds no input buffer afterwards (reference count 0; the leak detector runs at PARANOID);
 * <li>the records and the error are the same whole and split into the chosen reads;
 * <li>records decoded without error encode into a stream that decodes, without error, to the same records.
 * </ul>
 */
class RecordDecoderFuzzTest {

    @FuzzTest
    void decode(FuzzedDataProvider data) {
        FuzzInput input = FuzzInput.read(data);
        Outcome whole = outcome(input.stream(), WHOLE_READS);
        assertEquals(whole, outcome(input.stream(), input.readSizes()), input.toString());
        if (whole.error() == null && !whole.records().isEmpty()) {
            Outcome again = outcome(encode(records(whole.records())), WHOLE_READS);
            assertNull(again.error(), "the encoded records do not decode");
            assertEquals(whole.records(), again.records(), "decode, encode, decode");
        }
    }

    /** The canonical form back as records: each chunk one stream record. */
    private static FcgiRecord[] records(List<Object> canonical) {
        List<FcgiRecord> records = new ArrayList<>(canonical.size());
        for (Object item : canonical) {
            records.add(item instanceof Chunk chunk ? streamRecord(chunk) : (FcgiRecord) item);
        }
        return records.toArray(FcgiRecord[]::new);
    }

    private static FcgiStreamRecord streamRecord(Chunk chunk) {
        var content = Unpooled.wrappedBuffer(chunk.content());
        return switch (chunk.type()) {
            case PARAMS -> new FcgiParams(chunk.requestId(), content);
            case STDIN -> new FcgiStdin(chunk.requestId(), content);
            case STDOUT -> new FcgiStdout(chunk.requestId(), content);
            case STDERR -> new FcgiStderr(chunk.requestId(), content);
            case DATA -> new FcgiData(chunk.requestId(), content);
            default -> throw new AssertionError("not a stream: " + chunk);
        };
    }
}
