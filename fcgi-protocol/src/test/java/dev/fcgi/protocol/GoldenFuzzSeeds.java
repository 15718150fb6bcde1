package dev.fcgi.protocol;

import dev.fcgi.protocol.testing.FuzzSeeds;
import dev.fcgi.protocol.testing.FuzzSeeds.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

import static dev.fcgi.protocol.FcgiGoldenVectorTest.ABORT;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.BEGIN_FILTER_KEEP_CONN;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.BEGIN_RESPONDER;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.BEGIN_RESPONDER_KEEP_CONN;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.END_REQUEST_COMPLETE;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.END_REQUEST_OVERLOADED;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.GET_VALUES_ALL;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.PARAMS_END;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.PARAMS_SERVER_PORT;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.SERVER_PORT_PAIR;
import static dev.fcgi.protocol.FcgiGoldenVectorTest.STDIN_END;
import static dev.fcgi.protocol.FcgiTestWire.ascii;
import static dev.fcgi.protocol.FcgiTestWire.bytes;
import static dev.fcgi.protocol.FcgiTestWire.concat;
import static dev.fcgi.protocol.FcgiTestWire.pairs;
import static dev.fcgi.protocol.FcgiTestWire.record;

/**
 * Writes the seeds of the fuzz targets that come from the golden vectors (spec section L) and from small
 * hand-made conversations built of them: every vector alone, whole requests and responses, and the params that
 * steer the server target's handler. Run on demand:
 * {@code mvn -o test -pl fcgi-protocol -Dtest=GoldenFuzzSeeds -Dfcgi.fuzz.writeSeeds=true}. The seeds of captured
 * traffic come from {@code dev.fcgi.examples.interop.FuzzSeedCapture}.
 */
@EnabledIfSystemProperty(named = FuzzSeeds.WRITE_PROPERTY, matches = "true")
class GoldenFuzzSeeds {

    private static final byte[] STDIN_HELLO = record(5, 1, ascii("hello"));
    private static final byte[] DATA_END = record(8, 1, new byte[0]);

    @Test
    void write() {
        byte[] request = concat(BEGIN_RESPONDER_KEEP_CONN, PARAMS_SERVER_PORT, PARAMS_END, STDIN_HELLO, STDIN_END);
        byte[] filter = concat(BEGIN_FILTER_KEEP_CONN, PARAMS_SERVER_PORT, PARAMS_END, STDIN_END,
                record(8, 1, ascii("data")), DATA_END);
        byte[] aborted = concat(BEGIN_RESPONDER, PARAMS_SERVER_PORT, ABORT);
        byte[] management = concat(GET_VALUES_ALL, record(0x14, 0, new byte[0]));
        byte[] response = concat(record(6, 1, ascii("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnone")),
                record(6, 1, new byte[0]), record(7, 1, ascii("warning")), record(7, 1, new byte[0]),
                END_REQUEST_COMPLETE);

        for (var vector : FcgiGoldenVectorTest.vectors()) {
            if (vector.wire().length <= 1024) {
                decoder("golden-" + name(vector.name()), vector.wire());
            }
        }
        decoder("request", request);
        decoder("filter", filter);
        decoder("aborted", aborted);
        decoder("management", management);
        decoder("response", response);

        nameValue("golden-server-port", SERVER_PORT_PAIR);
        nameValue("golden-get-values", Arrays.copyOfRange(GET_VALUES_ALL, 8, GET_VALUES_ALL.length));
        nameValue("long-lengths", pairs(new FcgiParameters().add("N".repeat(130), "v".repeat(200)).add("", "")));

        server("request", request);
        server("filter", filter);
        server("aborted", aborted);
        server("management", management);
        server("multiplexed", concat(BEGIN_RESPONDER_KEEP_CONN, record(1, 2, bytes(0, 1, 1, 0, 0, 0, 0, 0)),
                PARAMS_SERVER_PORT, record(4, 2, SERVER_PORT_PAIR), PARAMS_END, record(4, 2, new byte[0]),
                record(5, 2, new byte[0]), STDIN_HELLO, STDIN_END));
        for (String action : new String[] {"throw", "stderr", "finish", "header"}) {
            byte[] params = pairs(new FcgiParameters().add("FUZZ_ACTION", action).add("FUZZ_VALUE", "a value"));
            server("action-" + action, concat(BEGIN_RESPONDER_KEEP_CONN, record(4, 1, params), PARAMS_END,
                    STDIN_HELLO, STDIN_END));
        }

        cgi("status", "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnone");
        cgi("location", "Location: /elsewhere\n\n");
        cgi("cookies", "Set-Cookie: a=1\nset-cookie: b=2\r\nX-Empty:\r\n\r\nbody");
        FuzzSeeds.write(Target.CLIENT_RESPONSE, "response", response);
        FuzzSeeds.write(Target.CLIENT_RESPONSE, "overloaded", END_REQUEST_OVERLOADED);
    }

    private static void server(String name, byte[] stream) {
        FuzzSeeds.write(Target.SERVER_PIPELINE, name, stream);
    }

    private static void cgi(String name, String stdout) {
        FuzzSeeds.write(Target.CGI_RESPONSE_PARSER, name, stdout.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static void decoder(String name, byte[] stream) {
        FuzzSeeds.write(Target.RECORD_DECODER, name, stream);
    }

    private static void nameValue(String name, byte[] content) {
        FuzzSeeds.write(Target.NAME_VALUE_DECODER, name, content);
    }

    /** A vector's name as a file name: "spec L: empty PARAMS" becomes "empty-params". */
    private static String name(String vectorName) {
        return vectorName.substring(vectorName.indexOf(':') + 1).strip().toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    }
}
