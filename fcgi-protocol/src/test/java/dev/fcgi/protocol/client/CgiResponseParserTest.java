package dev.fcgi.protocol.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CGI header block of a response (RFC 3875 section 6; checklist E 38: Status, Location, no NPH). */
class CgiResponseParserTest {

    static CgiResponseParser.Head head(String block) throws FcgiClientException {
        return CgiResponseParser.parse(block);
    }

    @Test
    void statusHeaderGivesCodeAndReason() throws Exception {
        CgiResponseParser.Head head = head("Status: 201 Created Here\r\nX-A: 1\r\n");
        assertEquals(201, head.status());
        assertEquals("Created Here", head.reason());
        assertEquals(List.of(Map.entry("X-A", "1")), head.headers(), "Status is not among the headers");
    }

    @Test
    void statusWithoutReasonGetsTheUsualOne() throws Exception {
        assertEquals("Not Found", head("Status: 404\n").reason());
        assertEquals("", head("Status: 599\n").reason());
    }

    @Test
    @DisplayName("spec 38: a Location-only response means 302 Found; Status wins over Location; no Status means 200")
    void locationAloneMeans302AndNothingMeans200() throws Exception {
        CgiResponseParser.Head redirect = head("Location: /elsewhere\r\n");
        assertEquals(302, redirect.status());
        assertEquals("Found", redirect.reason());
        assertEquals(301, head("Status: 301 Moved Permanently\r\nLocation: /x\r\n").status());
        assertEquals(200, head("Content-Type: text/html\r\n").status());
        assertEquals(200, head("").status());
    }

    @Test
    void headersKeepOrderCaseAndRepeats() throws Exception {
        CgiResponseParser.Head head = head("Set-Cookie: a=1\nset-cookie: b=2\r\nX-Empty:\r\nX-Spaced:   v  \r\n");
        assertEquals(List.of(Map.entry("Set-Cookie", "a=1"), Map.entry("set-cookie", "b=2"), Map.entry("X-Empty", ""),
                Map.entry("X-Spaced", "v")), head.headers());
    }

    @Test
    void malformedBlocksAreRejected() {
        assertThrows(FcgiClientException.class, () -> head("HTTP/1.1 200 OK\r\n"), "NPH is not CGI");
        assertThrows(FcgiClientException.class, () -> head(": no name\r\n"));
        assertThrows(FcgiClientException.class, () -> head("Bad Name: x\r\n"));
        assertThrows(FcgiClientException.class, () -> head("Status: 20\r\n"));
        assertThrows(FcgiClientException.class, () -> head("Status: 099 x\r\n"));
        assertThrows(FcgiClientException.class, () -> head("Status: OK\r\n"));
        assertThrows(FcgiClientException.class, () -> head("Status: 200\r\nStatus: 201\r\n"));
        assertThrows(FcgiClientException.class, () -> head("Set-Cookie: b=2\rX-Injected: 1\r\n"), "a bare CR");
        assertThrows(FcgiClientException.class, () -> head("X-A: 1\0\r\n"), "a NUL");
        assertThrows(FcgiClientException.class, () -> head("Status: 200 O\rK\r\n"), "a CR in the reason");
    }

    @Test
    void blockSplitAtEveryByteGivesTheSameResultAndKeepsTheBodyBytes() throws Exception {
        byte[] wire = "Status: 200 Fine\r\nA: 1\nB: 2\r\n\r\nbody bytes".getBytes(StandardCharsets.US_ASCII);
        for (int split = 1; split < wire.length; split++) {
            CgiResponseParser parser = new CgiResponseParser(1024);
            ByteBuf first = Unpooled.wrappedBuffer(wire, 0, split);
            ByteBuf second = Unpooled.wrappedBuffer(wire, split, wire.length - split);
            CgiResponseParser.Parsed parsed = parser.feed(ByteBufAllocator.DEFAULT, first);
            StringBuilder body = new StringBuilder();
            if (parsed == null) {
                parsed = parser.feed(ByteBufAllocator.DEFAULT, second);
                if (parsed.rest() != null) {
                    body.append(parsed.rest().toString(StandardCharsets.US_ASCII));
                }
            } else {
                if (parsed.rest() != null) {
                    body.append(parsed.rest().toString(StandardCharsets.US_ASCII));
                }
                body.append(second.toString(StandardCharsets.US_ASCII));
            }
            if (parsed.rest() != null) {
                parsed.rest().release();
            }
            assertEquals(200, parsed.head().status(), "split at " + split);
            assertEquals("Fine", parsed.head().reason());
            assertEquals(2, parsed.head().headers().size());
            assertEquals("body bytes", body.toString(), "split at " + split);
        }
    }

    @Test
    void blockLongerThanTheLimitIsRejectedWithoutWaitingForItsEnd() throws Exception {
        CgiResponseParser parser = new CgiResponseParser(32);
        ByteBuf line = Unpooled.wrappedBuffer("X-A: 0123456789\r\n".getBytes(StandardCharsets.US_ASCII));
        assertNull(parser.feed(ByteBufAllocator.DEFAULT, line));
        FcgiClientException e = assertThrows(FcgiClientException.class, () -> parser.feed(ByteBufAllocator.DEFAULT,
                line.resetReaderIndex()));
        assertTrue(e.getMessage().contains("more than 32 bytes"), e.getMessage());
        parser.release();
    }
}
