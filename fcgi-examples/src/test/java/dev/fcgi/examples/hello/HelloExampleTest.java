package dev.fcgi.examples.hello;

import dev.fcgi.protocol.server.FcgiServer;
import dev.fcgi.protocol.testing.RawFcgiConnection;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HelloExampleTest {

    @Test
    void answersWithNameAndBodyLength() throws Exception {
        try (FcgiServer server = HelloExample.start("127.0.0.1:0");
             RawFcgiConnection conn = RawFcgiConnection.connect(server.localAddress())) {
            conn.request(1, true, Map.of("QUERY_STRING", ""), new byte[0]);
            RawFcgiConnection.Response plain = conn.readResponse(1);
            assertEquals("Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, World!\n", plain.text());
            conn.request(2, true, Map.of("QUERY_STRING", "name=Ada"), new byte[12]);
            assertEquals("Hello, Ada! You sent 12 bytes.\n", conn.readResponse(2).body());
        }
    }
}
