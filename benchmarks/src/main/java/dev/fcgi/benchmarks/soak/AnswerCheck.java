package dev.fcgi.benchmarks.soak;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

/**
 * Checks one answer against its call, whichever route it came by: status 200, the call's id in
 * {@value SoakCall#ID_HEADER} (another id is a crossed answer), the upload as the handler read it (length and
 * CRC32C), and the body read to its end: its length, and its CRC32C against both the header and the driver's own
 * computation from the id.
 */
final class AnswerCheck {

    private static final int ERROR_TEXT_LIMIT = 300;

    private AnswerCheck() {
    }

    /**
     * The outcome of an answer with {@code status}, headers looked up by {@code header}, and {@code body}, which is
     * read to its end (and not closed).
     *
     * @throws IOException when reading the body fails: the answer is incomplete
     */
    static Outcome check(SoakCall call, int status, UnaryOperator<String> header, InputStream body)
            throws IOException {
        String id = header.apply(SoakCall.ID_HEADER);
        if (status != 200) {
            String text = new String(body.readNBytes(ERROR_TEXT_LIMIT), StandardCharsets.UTF_8).strip();
            String detail = "id " + call.id() + ": " + text.lines().findFirst().orElse("");
            return id == null && (status == 502 || status == 503) ? Outcome.refusal("HTTP " + status, detail)
                    : Outcome.failed("HTTP " + status + (id == null ? "" : " from the handler"), detail);
        }
        if (!Long.toString(call.id()).equals(id)) {
            return Outcome.failed("crossed answer: another request's id", "sent " + call.id() + ", answer for " + id);
        }
        long uploadCrc = SoakPayload.crc32c(SoakPayload.requestSeed(call.id()), call.requestBytes());
        String receivedLength = header.apply(SoakCall.RECEIVED_LENGTH_HEADER);
        String receivedCrc = header.apply(SoakCall.RECEIVED_CRC_HEADER);
        if (!Long.toString(call.requestBytes()).equals(receivedLength)
                || !SoakPayload.Sum.hex(uploadCrc).equals(receivedCrc)) {
            return Outcome.failed("upload damaged: the handler read other bytes", "id " + call.id() + ": sent "
                    + call.requestBytes() + " bytes, CRC32C " + SoakPayload.Sum.hex(uploadCrc) + "; read "
                    + receivedLength + " bytes, CRC32C " + receivedCrc);
        }
        String expected = SoakPayload.Sum.hex(SoakPayload.crc32c(SoakPayload.responseSeed(call.id()),
                call.responseBytes()));
        if (!expected.equals(header.apply(SoakCall.BODY_CRC_HEADER))) {
            return Outcome.failed("body checksum header wrong", "id " + call.id() + ": "
                    + header.apply(SoakCall.BODY_CRC_HEADER) + ", expected " + expected);
        }
        SoakPayload.Sum sum = SoakPayload.Sum.of(body);
        if (sum.length() != call.responseBytes()) {
            return Outcome.failed("body length wrong", "id " + call.id() + ": " + sum.length() + " bytes of "
                    + call.responseBytes());
        }
        if (!expected.equals(SoakPayload.Sum.hex(sum.crc32c()))) {
            return Outcome.failed("body damaged", "id " + call.id() + ": CRC32C " + SoakPayload.Sum.hex(sum.crc32c())
                    + ", expected " + expected);
        }
        return Outcome.OK;
    }
}
