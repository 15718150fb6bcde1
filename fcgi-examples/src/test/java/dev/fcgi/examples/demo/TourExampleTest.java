package dev.fcgi.examples.demo;

import dev.fcgi.protocol.server.FcgiServer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TourExampleTest {

    @Test
    void tourSucceeds() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (FcgiServer server = TourExample.start()) {
            int failures = TourExample.tour(server, new PrintStream(printed, true, StandardCharsets.UTF_8));
            String text = printed.toString(StandardCharsets.UTF_8);
            assertEquals(0, failures, text);
            assertTrue(text.contains("FCGI_MPXS_CONNS=1"), text);
            assertTrue(text.contains("100/100 answered"), text);
            assertTrue(text.contains("matches the client's"), text);
        }
    }
}
