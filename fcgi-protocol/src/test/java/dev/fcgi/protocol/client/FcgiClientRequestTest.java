package dev.fcgi.protocol.client;

import dev.fcgi.protocol.FcgiParameters;
import dev.fcgi.protocol.FcgiRole;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FcgiClientRequestTest {

    @Test
    void getHasTheStandardCgiVariables() {
        FcgiParameters params = FcgiClientRequest.get("/srv/www/index.php", "a=1").params();
        assertEquals("GET", params.get("REQUEST_METHOD"));
        assertEquals("/srv/www/index.php", params.get("SCRIPT_FILENAME"));
        assertEquals("/index.php", params.get("SCRIPT_NAME"));
        assertEquals("a=1", params.get("QUERY_STRING"));
        assertEquals("/index.php?a=1", params.get("REQUEST_URI"));
        assertFalse(params.contains("CONTENT_LENGTH"), "no body, no CONTENT_LENGTH");
    }

    @Test
    void contentLengthIsAddedOnlyWhenKnownAndNotGiven() {
        assertEquals("3", FcgiClientRequest.builder().body("abc").build().params().get("CONTENT_LENGTH"));
        assertEquals("7", FcgiClientRequest.builder().param("CONTENT_LENGTH", "7").body("abc").build().params()
                .get("CONTENT_LENGTH"));
        assertNull(FcgiClientRequest.builder().body(new ByteArrayInputStream(new byte[3])).build().params()
                .get("CONTENT_LENGTH"));
        assertEquals("3", FcgiClientRequest.builder().body(new ByteArrayInputStream(new byte[3]), 3).build().params()
                .get("CONTENT_LENGTH"));
    }

    @Test
    void dataIsOnlyForFilter() {
        assertThrows(IllegalStateException.class, () -> FcgiClientRequest.builder().data(new byte[1]).build());
        FcgiClientRequest filter = FcgiClientRequest.builder().role(FcgiRole.FILTER).data(new byte[4]).build();
        assertEquals("4", filter.params().get("FCGI_DATA_LENGTH"));
        assertEquals(4, filter.dataLength());
    }

    @Test
    void requestIsImmutableAndReplayableUnlessItHasAStream() {
        FcgiClientRequest.Builder builder = FcgiClientRequest.builder().param("A", "1");
        FcgiClientRequest request = builder.build();
        builder.param("B", "2");
        request.params().add("C", "3");
        assertEquals(1, request.params().size());
        assertTrue(request.isReplayable());
        assertFalse(FcgiClientRequest.builder().body(new ByteArrayInputStream(new byte[1])).build().isReplayable());
        assertEquals(Duration.ofSeconds(3), FcgiClientRequest.builder().timeout(Duration.ofSeconds(3)).build().timeout());
        assertThrows(IllegalArgumentException.class, () -> FcgiClientRequest.builder().timeout(Duration.ZERO));
    }

    @Test
    void clientBuilderChecksItsArguments() {
        assertThrows(IllegalStateException.class, () -> FcgiClient.builder().build());
        assertThrows(IllegalArgumentException.class, () -> FcgiClient.builder().maxConnections(0));
        assertThrows(IllegalArgumentException.class, () -> FcgiClient.builder().maxRequestsPerConnection(65536));
        assertThrows(IllegalArgumentException.class, () -> FcgiClient.builder().requestTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> FcgiClient.builder().responseBufferSize(0));
        assertThrows(IllegalArgumentException.class, () -> FcgiClient.builder()
                .address(new java.net.SocketAddress() { }).build());
    }
}
