package dev.fcgi.protocol;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static dev.fcgi.protocol.FcgiTestWire.WHOLE;
import static dev.fcgi.protocol.FcgiTestWire.ascii;
import static dev.fcgi.protocol.FcgiTestWire.bytes;
import static dev.fcgi.protocol.FcgiTestWire.canonical;
import static dev.fcgi.protocol.FcgiTestWire.concat;
import static dev.fcgi.protocol.FcgiTestWire.decode;
import static dev.fcgi.protocol.FcgiTestWire.encode;
import static dev.fcgi.protocol.FcgiTestWire.hex;
import static dev.fcgi.protocol.FcgiTestWire.pattern;
import static dev.fcgi.protocol.FcgiTestWire.zeros;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The golden vectors of the spec's section L (and statements 9, 20, 23, 24, 34): each is decoded whole, byte by
 * byte, in 5- and 7-byte slices and two to a buffer, and encoded back to the same bytes.
 */
class FcgiGoldenVectorTest {

    /** One golden vector: its bytes and the records they stand for (made afresh on each call). */
    record Vector(String name, byte[] wire, Supplier<List<FcgiRecord>> records) {
        @Override
        public String toString() {
            return name;
        }
    }

    // spec L: BEGIN_REQUEST id=1 RESPONDER KEEP_CONN.
    static final byte[] BEGIN_RESPONDER_KEEP_CONN = bytes(
            0x01,                           // version: FCGI_VERSION_1
            0x01,                           // type: FCGI_BEGIN_REQUEST
            0x00, 0x01,                     // requestId: 1
            0x00, 0x08,                     // contentLength: 8
            0x00,                           // paddingLength: 0
            0x00,                           // reserved
            0x00, 0x01,                     // role: FCGI_RESPONDER
            0x01,                           // flags: FCGI_KEEP_CONN
            0x00, 0x00, 0x00, 0x00, 0x00);  // reserved[5]

    // spec L: the same without keep-conn.
    static final byte[] BEGIN_RESPONDER = bytes(
            0x01,                           // version: FCGI_VERSION_1
            0x01,                           // type: FCGI_BEGIN_REQUEST
            0x00, 0x01,                     // requestId: 1
            0x00, 0x08,                     // contentLength: 8
            0x00,                           // paddingLength: 0
            0x00,                           // reserved
            0x00, 0x01,                     // role: FCGI_RESPONDER
            0x00,                           // flags: none (close after the request)
            0x00, 0x00, 0x00, 0x00, 0x00);  // reserved[5]

    // spec L: role FILTER.
    static final byte[] BEGIN_FILTER_KEEP_CONN = bytes(
            0x01,                           // version: FCGI_VERSION_1
            0x01,                           // type: FCGI_BEGIN_REQUEST
            0x00, 0x01,                     // requestId: 1
            0x00, 0x08,                     // contentLength: 8
            0x00,                           // paddingLength: 0
            0x00,                           // reserved
            0x00, 0x03,                     // role: FCGI_FILTER
            0x01,                           // flags: FCGI_KEEP_CONN
            0x00, 0x00, 0x00, 0x00, 0x00);  // reserved[5]

    // spec L: the pair SERVER_PORT=80, in one PARAMS record padded to 16 bytes.
    static final byte[] SERVER_PORT_PAIR = concat(
            bytes(0x0B,                     // nameLength: 11
                  0x02),                    // valueLength: 2
            ascii("SERVER_PORT"),           // name
            ascii("80"));                   // value
    static final byte[] PARAMS_SERVER_PORT = concat(
            bytes(0x01,                     // version: FCGI_VERSION_1
                  0x04,                     // type: FCGI_PARAMS
                  0x00, 0x01,               // requestId: 1
                  0x00, 0x0F,               // contentLength: 15
                  0x01,                     // paddingLength: 1
                  0x00),                    // reserved
            SERVER_PORT_PAIR,               // contentData
            bytes(0x00));                   // paddingData

    // spec L: empty PARAMS, the end of the PARAMS stream.
    static final byte[] PARAMS_END = bytes(
            0x01,                           // version: FCGI_VERSION_1
            0x04,                           // type: FCGI_PARAMS
            0x00, 0x01,                     // requestId: 1
            0x00, 0x00,                     // contentLength: 0
            0x00,                           // paddingLength: 0
            0x00);                          // reserved

    // spec L: empty STDIN, the end of the request body.
    static final byte[] STDIN_END = bytes(
            0x01,                           // version: FCGI_VERSION_1
            0x05,                           // type: FCGI_STDIN
            0x00, 0x01,                     // requestId: 1
            0x00, 0x00,                     // contentLength: 0
            0x00,                           // paddingLength: 0
            0x00);                          // reserved

    // spec L: ABORT_REQUEST for id 1.
    static final byte[] ABORT = bytes(
            0x01,                           // version: FCGI_VERSION_1
            0x02,                           // type: FCGI_ABORT_REQUEST
            0x00, 0x01,                     // requestId: 1
            0x00, 0x00,                     // contentLength: 0
            0x00,                           // paddingLength: 0
            0x00);                          // reserved

    // spec 20 / L: GET_VALUES for all three variables, 48 bytes of content, no padding needed.
    static final byte[] GET_VALUES_ALL = concat(
            bytes(0x01,                     // version: FCGI_VERSION_1
                  0x09,                     // type: FCGI_GET_VALUES
                  0x00, 0x00,               // requestId: 0 (management)
                  0x00, 0x30,               // contentLength: 48
                  0x00,                     // paddingLength: 0
                  0x00),                    // reserved
            bytes(0x0E, 0x00),              // nameLength 14, valueLength 0
            ascii("FCGI_MAX_CONNS"),
            bytes(0x0D, 0x00),              // nameLength 13, valueLength 0
            ascii("FCGI_MAX_REQS"),
            bytes(0x0F, 0x00),              // nameLength 15, valueLength 0
            ascii("FCGI_MPXS_CONNS"));

    // spec 23 / L: GET_VALUES_RESULT answering MPXS only: one record, 18 bytes of content padded to 24.
    static final byte[] GET_VALUES_RESULT_MPXS = concat(
            bytes(0x01,                     // version: FCGI_VERSION_1
                  0x0A,                     // type: FCGI_GET_VALUES_RESULT
                  0x00, 0x00,               // requestId: 0 (management)
                  0x00, 0x12,               // contentLength: 18
                  0x06,                     // paddingLength: 6
                  0x00),                    // reserved
            bytes(0x0F, 0x01),              // nameLength 15, valueLength 1
            ascii("FCGI_MPXS_CONNS"),
            ascii("0"),                     // value: 0x30
            zeros(6));                      // paddingData

    // spec 24 / L: UNKNOWN_TYPE answering management type 0x14.
    static final byte[] UNKNOWN_TYPE_14 = bytes(
            0x01,                           // version: FCGI_VERSION_1
            0x0B,                           // type: FCGI_UNKNOWN_TYPE
            0x00, 0x00,                     // requestId: 0 (management)
            0x00, 0x08,                     // contentLength: 8
            0x00,                           // paddingLength: 0
            0x00,                           // reserved
            0x14,                           // type: the one not understood
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00); // reserved[7]

    // spec 34 / L: END_REQUEST id=1, appStatus 0, FCGI_REQUEST_COMPLETE.
    static final byte[] END_REQUEST_COMPLETE = endRequest(1, 0);
    // spec 34 / L: END_REQUEST id=2, FCGI_CANT_MPX_CONN.
    static final byte[] END_REQUEST_CANT_MPX_CONN = endRequest(2, 1);
    // spec 34 / L: END_REQUEST id=1, FCGI_OVERLOADED.
    static final byte[] END_REQUEST_OVERLOADED = endRequest(1, 2);
    // spec 34 / L: END_REQUEST id=1, FCGI_UNKNOWN_ROLE.
    static final byte[] END_REQUEST_UNKNOWN_ROLE = endRequest(1, 3);

    // spec 34: END_REQUEST id=0x1234 with appStatus 0xFFFFFFFE (big-endian, unsigned on the wire).
    static final byte[] END_REQUEST_APP_STATUS = bytes(
            0x01,                           // version: FCGI_VERSION_1
            0x03,                           // type: FCGI_END_REQUEST
            0x12, 0x34,                     // requestId: 0x1234
            0x00, 0x08,                     // contentLength: 8
            0x00,                           // paddingLength: 0
            0x00,                           // reserved
            0xFF, 0xFF, 0xFF, 0xFE,         // appStatus: 0xFFFFFFFE (-2 as an int)
            0x00,                           // protocolStatus: FCGI_REQUEST_COMPLETE
            0x00, 0x00, 0x00);              // reserved[3]

    // spec 9 / L: the largest STDOUT record, with the recommended 1 byte of padding.
    static final byte[] STDOUT_BODY_65535 = pattern(65535);
    static final byte[] STDOUT_MAX = concat(
            bytes(0x01,                     // version: FCGI_VERSION_1
                  0x06,                     // type: FCGI_STDOUT
                  0x00, 0x01,               // requestId: 1
                  0xFF, 0xFF,               // contentLength: 65535
                  0x01,                     // paddingLength: 1
                  0x00),                    // reserved
            STDOUT_BODY_65535,              // contentData
            bytes(0x00));                   // paddingData

    private static byte[] endRequest(int requestId, int protocolStatus) {
        return bytes(
                0x01,                       // version: FCGI_VERSION_1
                0x03,                       // type: FCGI_END_REQUEST
                0x00, requestId,            // requestId
                0x00, 0x08,                 // contentLength: 8
                0x00,                       // paddingLength: 0
                0x00,                       // reserved
                0x00, 0x00, 0x00, 0x00,     // appStatus: 0
                protocolStatus,             // protocolStatus
                0x00, 0x00, 0x00);          // reserved[3]
    }

    static List<Vector> vectors() {
        Map<String, String> mpxs = new LinkedHashMap<>();
        mpxs.put(FcgiConstants.MPXS_CONNS, "0");
        return List.of(
                new Vector("spec L: BEGIN_REQUEST id 1 RESPONDER KEEP_CONN", BEGIN_RESPONDER_KEEP_CONN,
                        () -> List.of(new FcgiBeginRequest(1, FcgiRole.RESPONDER, true))),
                new Vector("spec L: BEGIN_REQUEST id 1 RESPONDER", BEGIN_RESPONDER,
                        () -> List.of(new FcgiBeginRequest(1, FcgiRole.RESPONDER, false))),
                new Vector("spec L: BEGIN_REQUEST id 1 FILTER KEEP_CONN", BEGIN_FILTER_KEEP_CONN,
                        () -> List.of(new FcgiBeginRequest(1, FcgiRole.FILTER, true))),
                new Vector("spec L: PARAMS SERVER_PORT=80", PARAMS_SERVER_PORT,
                        () -> List.of(new FcgiParams(1, Unpooled.wrappedBuffer(SERVER_PORT_PAIR)))),
                new Vector("spec L: empty PARAMS", PARAMS_END, () -> List.of(FcgiParams.endOfStream(1))),
                new Vector("spec L: empty STDIN", STDIN_END, () -> List.of(FcgiStdin.endOfStream(1))),
                new Vector("spec L: ABORT_REQUEST", ABORT, () -> List.of(new FcgiAbortRequest(1))),
                new Vector("spec 20: GET_VALUES for all three names", GET_VALUES_ALL,
                        () -> List.of(new FcgiGetValues(List.of(FcgiConstants.MAX_CONNS, FcgiConstants.MAX_REQS,
                                FcgiConstants.MPXS_CONNS)))),
                new Vector("spec 23: GET_VALUES_RESULT MPXS only, padded", GET_VALUES_RESULT_MPXS,
                        () -> List.of(new FcgiGetValuesResult(mpxs))),
                new Vector("spec 24: UNKNOWN_TYPE for type 0x14", UNKNOWN_TYPE_14,
                        () -> List.of(new FcgiUnknownType(0, 0x14))),
                new Vector("spec 34: END_REQUEST REQUEST_COMPLETE", END_REQUEST_COMPLETE,
                        () -> List.of(new FcgiEndRequest(1, 0, FcgiProtocolStatus.REQUEST_COMPLETE))),
                new Vector("spec 34: END_REQUEST CANT_MPX_CONN", END_REQUEST_CANT_MPX_CONN,
                        () -> List.of(new FcgiEndRequest(2, 0, FcgiProtocolStatus.CANT_MPX_CONN))),
                new Vector("spec 34: END_REQUEST OVERLOADED", END_REQUEST_OVERLOADED,
                        () -> List.of(new FcgiEndRequest(1, 0, FcgiProtocolStatus.OVERLOADED))),
                new Vector("spec 34: END_REQUEST UNKNOWN_ROLE", END_REQUEST_UNKNOWN_ROLE,
                        () -> List.of(new FcgiEndRequest(1, 0, FcgiProtocolStatus.UNKNOWN_ROLE))),
                new Vector("spec 34: END_REQUEST appStatus 0xFFFFFFFE", END_REQUEST_APP_STATUS,
                        () -> List.of(new FcgiEndRequest(0x1234, 0xFFFFFFFE, FcgiProtocolStatus.REQUEST_COMPLETE))),
                new Vector("spec 9: STDOUT of 65535 bytes, padding 1", STDOUT_MAX,
                        () -> List.of(new FcgiStdout(1, Unpooled.wrappedBuffer(STDOUT_BODY_65535)))));
    }

    static Stream<Arguments> slicings() {
        List<Arguments> args = new ArrayList<>();
        for (Vector vector : vectors()) {
            args.add(Arguments.of(vector, Named.of("whole", WHOLE)));
            args.add(Arguments.of(vector, Named.of("byte by byte", 1)));
            args.add(Arguments.of(vector, Named.of("5-byte slices", 5)));
            args.add(Arguments.of(vector, Named.of("7-byte slices", 7)));
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("slicings")
    void decodes(Vector vector, int chunk) {
        assertEquals(canonical(vector.records().get()), decode(vector.wire(), chunk));
    }

    /** As {@link #slicings()}, less the slowest case (131086 one-byte writes): the largest vector doubled. */
    static Stream<Arguments> slicingsOfTwo() {
        return slicings().filter(args -> ((Vector) args.get()[0]).wire().length < 1024
                || (int) ((Named<?>) args.get()[1]).getPayload() != 1);
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("slicingsOfTwo")
    void decodesTwoPerBuffer(Vector vector, int chunk) {
        List<FcgiRecord> twice = new ArrayList<>(vector.records().get());
        twice.addAll(vector.records().get());
        assertEquals(canonical(twice), decode(concat(vector.wire(), vector.wire()), chunk));
    }

    @ParameterizedTest(name = "{0}, then empty STDIN")
    @MethodSource("vectors")
    void decodesFollowedByAnotherRecord(Vector vector) {
        List<FcgiRecord> expected = new ArrayList<>(vector.records().get());
        expected.add(FcgiStdin.endOfStream(1));
        assertEquals(canonical(expected), decode(concat(vector.wire(), STDIN_END), WHOLE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void encodes(Vector vector) {
        assertEquals(hex(vector.wire()), hex(encode(vector.records().get().toArray(FcgiRecord[]::new))));
    }
}
