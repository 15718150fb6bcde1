package dev.fcgi.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import dev.fcgi.protocol.FcgiTestWire.Outcome;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.IntUnaryOperator;

import static dev.fcgi.protocol.FcgiTestWire.WHOLE_READS;
import static dev.fcgi.protocol.FcgiTestWire.bytes;
import static dev.fcgi.protocol.FcgiTestWire.concat;
import static dev.fcgi.protocol.FcgiTestWire.header;
import static dev.fcgi.protocol.FcgiTestWire.hex;
import static dev.fcgi.protocol.FcgiTestWire.outcome;
import static dev.fcgi.protocol.FcgiTestWire.pairs;
import static dev.fcgi.protocol.FcgiTestWire.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Statement 58 (and 3): seeded random input, fed whole and in random slices. The decoders never throw anything
 * but their own exception ({@link FcgiProtocolException}, {@link FcgiParamsException}), never emit a record after
 * one, never leak a buffer (the leak detector runs at PARANOID, and every input buffer must end with a reference
 * count of 0), and reach the same records and the same error however the input is split. Deterministic: each
 * stream's seed is its index, reported on failure.
 */
class FcgiDecoderFuzzTest {

    private static final int STREAMS = 2000;

    @Test
    @DisplayName("spec 58: random byte streams")
    void randomBytes() {
        fuzz(0x5EED_0000L, rnd -> {
            byte[] wire = new byte[rnd.nextInt(257)];
            rnd.nextBytes(wire);
            if (wire.length > 1 && rnd.nextBoolean()) {
                wire[0] = 1;                                   // a valid version, to get past the first check
                wire[1] = (byte) rnd.nextInt(13);              // and mostly a known type
            }
            return wire;
        });
    }

    @Test
    @DisplayName("spec 58: random records: headers with random types, ids, lengths and padding")
    void randomRecords() {
        fuzz(0x5EED_1000L, rnd -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = 1 + rnd.nextInt(6); i > 0; i--) {
                out.writeBytes(randomRecord(rnd));
            }
            return out.toByteArray();
        });
    }

    @Test
    @DisplayName("spec 58: valid conversations, intact, truncated or with bytes changed")
    void mutatedConversations() {
        fuzz(0x5EED_2000L, rnd -> {
            byte[] wire = conversation(rnd);
            switch (rnd.nextInt(4)) {
                case 0 -> {                                    // intact
                }
                case 1 -> wire = Arrays.copyOf(wire, rnd.nextInt(wire.length));
                case 2 -> mutate(rnd, wire);
                default -> {
                    mutate(rnd, wire);
                    wire = Arrays.copyOf(wire, rnd.nextInt(wire.length));
                }
            }
            return wire;
        });
    }

    @Test
    @DisplayName("spec 3: intact conversations decode without error, identically in any slicing")
    void intactConversations() {
        for (int seed = 0; seed < 500; seed++) {
            Random rnd = new Random(0x5EED_3000L + seed);
            byte[] wire = conversation(rnd);
            Outcome whole = outcome(wire, WHOLE_READS);
            assertNull(whole.error(), "seed " + seed);
            assertEquals(whole, outcome(wire, randomSlices(rnd)), "seed " + seed);
            if (seed % 5 == 0 && wire.length < 4096) {
                assertEquals(whole, outcome(wire, readable -> 1), "seed " + seed + ", byte by byte");
            }
        }
    }

    @Test
    @DisplayName("spec 14/16/58: random PARAMS content, with lengths near 2^31, through FcgiNameValueDecoder")
    void randomParams() {
        for (int seed = 0; seed < STREAMS; seed++) {
            Random rnd = new Random(0x5EED_4000L + seed);
            byte[] content = rnd.nextBoolean() ? randomPairs(rnd) : randomContent(rnd, rnd.nextInt(300));
            if (rnd.nextInt(4) == 0) {
                mutate(rnd, content);
            }
            long limit = rnd.nextBoolean() ? 4096 : Long.MAX_VALUE;
            int maxPairs = rnd.nextBoolean() ? 8 : 1000;
            try {
                String whole = decodeParams(content, limit, maxPairs, WHOLE_READS);
                assertEquals(whole, decodeParams(content, limit, maxPairs, randomSlices(rnd)));
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + ": " + shortHex(content), t);
            }
        }
    }

    private static void fuzz(long baseSeed, Function<Random, byte[]> generator) {
        for (int seed = 0; seed < STREAMS; seed++) {
            Random rnd = new Random(baseSeed + seed);
            byte[] wire = generator.apply(rnd);
            try {
                Outcome whole = outcome(wire, WHOLE_READS);
                assertEquals(whole, outcome(wire, randomSlices(rnd)));
            } catch (Throwable t) {
                throw new AssertionError("seed " + (baseSeed + seed) + ": " + shortHex(wire), t);
            }
        }
    }

    /** Slices of 1 to 64 bytes. */
    private static IntUnaryOperator randomSlices(Random rnd) {
        return readable -> 1 + rnd.nextInt(Math.min(64, readable));
    }

    /** Decodes PARAMS content in slices; returns the pairs, or the kind of error. */
    private static String decodeParams(byte[] content, long limit, int maxPairs, IntUnaryOperator slices) {
        FcgiNameValueDecoder decoder = new FcgiNameValueDecoder(new FcgiParameters(), limit, maxPairs);
        try {
            ByteBuf in = Unpooled.wrappedBuffer(content);
            while (in.isReadable()) {
                ByteBuf slice = in.readSlice(slices.applyAsInt(in.readableBytes()));
                decoder.decode(slice);
                assertFalse(slice.isReadable());
            }
            decoder.finish();
            return decoder.params().toString();
        } catch (FcgiParamsException e) {
            return e.isTooLarge() ? "too large" : "malformed";
        }
    }

    private static byte[] randomRecord(Random rnd) {
        int version = rnd.nextInt(20) == 0 ? rnd.nextInt(256) : 1;
        int type = rnd.nextInt(10) == 0 ? rnd.nextInt(256) : rnd.nextInt(13);
        int requestId = switch (rnd.nextInt(5)) {
            case 0 -> 0;
            case 1 -> 0xFFFF;
            case 2 -> rnd.nextInt(0x10000);
            default -> 1;
        };
        byte[] content = switch (type) {
            case 1, 3, 11 -> randomContent(rnd, rnd.nextInt(5) == 0 ? rnd.nextInt(12) : 8);
            case 2 -> randomContent(rnd, rnd.nextInt(5) == 0 ? 1 + rnd.nextInt(8) : 0);
            case 9, 10 -> rnd.nextBoolean() ? randomPairs(rnd) : randomContent(rnd, rnd.nextInt(40));
            default -> randomContent(rnd, rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(300));
        };
        if (type == 3 && content.length == 8 && rnd.nextBoolean()) {
            content[4] = (byte) rnd.nextInt(4);                 // mostly a valid protocol status
        }
        int padding = rnd.nextInt(8) == 0 ? rnd.nextInt(256) : rnd.nextInt(8);
        int declared = rnd.nextInt(10) == 0 ? rnd.nextInt(0x10000) : content.length; // sometimes a lie
        return concat(bytes(version, type, requestId >>> 8, requestId & 0xFF, declared >>> 8, declared & 0xFF,
                padding, rnd.nextInt(256)), content, randomContent(rnd, padding));
    }

    /** A plausible exchange on one connection: a request, management records, and response records. */
    private static byte[] conversation(Random rnd) {
        int id = 1 + rnd.nextInt(3);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (rnd.nextInt(4) == 0) {
            out.writeBytes(record(9, 0, concat(bytes(0x0F, 0x00), FcgiTestWire.ascii(FcgiConstants.MPXS_CONNS))));
        }
        out.writeBytes(record(1, id, bytes(0, 1 + rnd.nextInt(3), rnd.nextInt(2), 0, 0, 0, 0, 0)));
        FcgiParameters params = new FcgiParameters();
        for (int i = rnd.nextInt(8); i > 0; i--) {
            params.add("P" + rnd.nextInt(1000), randomContent(rnd, rnd.nextInt(3) == 0 ? 128 + rnd.nextInt(300)
                    : rnd.nextInt(20)));
        }
        writeStream(rnd, out, 4, id, pairs(params));
        if (rnd.nextInt(8) == 0) {
            out.writeBytes(record(0x14, 0, randomContent(rnd, rnd.nextInt(20))));
        }
        int body = rnd.nextInt(25) == 0 ? rnd.nextInt(70_000) : rnd.nextInt(100);    // now and then over one record
        writeStream(rnd, out, 5, id, randomContent(rnd, body));
        if (rnd.nextInt(8) == 0) {
            out.writeBytes(record(2, id, new byte[0]));
        }
        writeStream(rnd, out, 6, id, randomContent(rnd, rnd.nextInt(200)));
        if (rnd.nextBoolean()) {
            writeStream(rnd, out, 7, id, randomContent(rnd, rnd.nextInt(50)));
        }
        out.writeBytes(record(3, id, bytes(0, 0, 0, rnd.nextInt(256), rnd.nextInt(4), 0, 0, 0)));
        return out.toByteArray();
    }

    /** {@code content} as records of random sizes (at most 65535), padded or not, then the empty record. */
    private static void writeStream(Random rnd, ByteArrayOutputStream out, int type, int id, byte[] content) {
        int at = 0;
        while (at < content.length) {
            int n = Math.min(content.length - at, 1 + rnd.nextInt(rnd.nextBoolean() ? 65_535 : 100));
            int padding = rnd.nextBoolean() ? -n & 7 : rnd.nextInt(3) == 0 ? rnd.nextInt(256) : 0;
            out.writeBytes(header(type, id, n, padding));
            out.write(content, at, n);
            out.writeBytes(new byte[padding]);
            at += n;
        }
        out.writeBytes(header(type, id, 0, 0));
    }

    /** Name-value pairs, some with four-byte lengths, a few of them near 2^31 or past the content. */
    private static byte[] randomPairs(Random rnd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = rnd.nextInt(6); i > 0; i--) {
            int nameLength = rnd.nextInt(20);
            int valueLength = rnd.nextInt(3) == 0 ? 128 + rnd.nextInt(200) : rnd.nextInt(30);
            writeLength(rnd, out, nameLength);
            writeLength(rnd, out, valueLength);
            out.writeBytes(randomContent(rnd, nameLength));
            out.writeBytes(randomContent(rnd, valueLength));
        }
        return out.toByteArray();
    }

    private static void writeLength(Random rnd, ByteArrayOutputStream out, int length) {
        switch (rnd.nextInt(12)) {
            case 0 -> out.writeBytes(bytes(0xFF, 0xFF, 0xFF, 0xFF));                      // 2^31 - 1
            case 1 -> out.writeBytes(bytes(0x80 | rnd.nextInt(128), rnd.nextInt(256), rnd.nextInt(256),
                    rnd.nextInt(256)));                                                   // anything up to 2^31
            case 2 -> out.writeBytes(bytes(0x80, 0, length >>> 8, length & 0xFF));       // four bytes for a short one
            default -> {
                if (length <= 127) {
                    out.write(length);
                } else {
                    out.writeBytes(bytes(0x80, 0, length >>> 8, length & 0xFF));
                }
            }
        }
    }

    private static byte[] randomContent(Random rnd, int length) {
        byte[] out = new byte[length];
        rnd.nextBytes(out);
        return out;
    }

    private static void mutate(Random rnd, byte[] wire) {
        for (int i = 1 + rnd.nextInt(3); i > 0 && wire.length > 0; i--) {
            wire[rnd.nextInt(wire.length)] = (byte) rnd.nextInt(256);
        }
    }

    private static String shortHex(byte[] wire) {
        return wire.length <= 256 ? hex(wire) : hex(Arrays.copyOf(wire, 256)) + " ... (" + wire.length + " bytes)";
    }
}
