package dev.fcgi.benchmarks.load;

import dev.fcgi.protocol.FcgiProtocolStatus;
import dev.fcgi.protocol.client.FcgiConnectException;
import dev.fcgi.protocol.client.FcgiRequestRefusedException;
import dev.fcgi.protocol.client.FcgiTimeoutException;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadReportTest {

    private static final LoadReport.Run RUN = new LoadReport.Run("127.0.0.1:9000", 16, 2, true, 1, 0,
            List.of("GET /"), List.of(1));

    @Test
    void percentilesOfAKnownHistogram() {
        Histogram histogram = new Histogram(LoadStats.MAX_LATENCY_MICROS, 3);
        for (int micros = 1; micros <= 1000; micros++) {
            histogram.recordValue(micros);
        }
        LoadReport report = new LoadReport(RUN, new LoadReport.End(TimeUnit.SECONDS.toNanos(2),
                TimeUnit.MILLISECONDS.toNanos(500), 0, 0), histogram, new long[] {0, 0, 1000, 0,
                0, 0}, 5000, 0, new long[ErrorKind.values().length], List.of("", "", "", "", ""), new long[] {1000});

        assertEquals(500, report.percentileMicros(50));
        assertEquals(900, report.percentileMicros(90));
        assertEquals(990, report.percentileMicros(99));
        assertEquals(999, report.percentileMicros(99.9));
        assertEquals(1000, report.maxMicros());
        assertEquals(500.5, report.meanMicros(), 0.001);
        assertEquals(500.0, report.requestsPerSecond(), 0.001);
        assertEquals(1000, report.responses());

        String json = report.json();
        assertTrue(json.startsWith("{\"target\":\"127.0.0.1:9000\",\"connections\":16,"), json);
        assertTrue(json.contains("\"responses\":1000,\"errors_total\":0,\"in_flight_at_end\":0,"
                + "\"longest_wait_at_end_us\":0,\"requests_per_sec\":500.000,"), json);
        assertTrue(json.contains("\"p50_us\":500,\"p90_us\":900,\"p99_us\":990,\"p999_us\":999,\"max_us\":1000,"
                + "\"mean_us\":500.500,"), json);
        assertTrue(json.contains("\"status\":{\"1xx\":0,\"2xx\":1000,\"3xx\":0,\"4xx\":0,\"5xx\":0,"
                + "\"other\":0}"), json);
        assertTrue(json.endsWith("\"kinds\":[{\"kind\":\"GET /\",\"weight\":1,\"requests\":1000}]}"), json);
        assertEquals(-1, json.indexOf('\n'));

        String text = report.text();
        assertTrue(text.contains("     50.0%   500.00us\n"), text);
        assertTrue(text.contains("     99.9%   999.00us\n"), text);
        assertTrue(text.contains("  1000 responses in 2.00s, 4.88KB of response bodies\n"), text);
        assertTrue(text.contains("Requests/sec:     500.00\n"), text);
        assertTrue(text.contains("  CPU (fcgi-load): 0.25 cores, 500.00us per request\n"), text);
        assertTrue(json.contains("\"cpu_cores\":0.250,\"cpu_us_per_request\":500.000,"), json);
    }

    @Test
    void statsCountStatusesErrorsAndKinds() {
        LoadStats stats = new LoadStats(2);
        stats.response(0, 200, 100, false, TimeUnit.MILLISECONDS.toNanos(2));
        stats.response(0, 404, 10, true, TimeUnit.MILLISECONDS.toNanos(4));
        stats.response(1, 503, 0, false, TimeUnit.MILLISECONDS.toNanos(6));
        stats.error(1, new CompletionException(new FcgiConnectException("cannot connect to x", null)));
        stats.error(1, new FcgiTimeoutException("request timed out"));
        stats.error(0, new FcgiRequestRefusedException("overloaded", FcgiProtocolStatus.OVERLOADED));
        stats.error(0, new FcgiTimeoutException("second timeout"));
        LoadReport report = stats.report(new LoadReport.Run("unix:/run/a.sock", 1, 1, false, 1, 100,
                List.of("GET /a", "GET /b"), List.of(1, 1)), new LoadReport.End(TimeUnit.SECONDS.toNanos(1), -1, 9,
                TimeUnit.SECONDS.toNanos(10)));

        assertEquals(3, report.responses());
        assertEquals(1, report.statusClass(2));
        assertEquals(1, report.statusClass(4));
        assertEquals(1, report.statusClass(5));
        assertEquals(110, report.bodyBytes());
        assertEquals(1, report.stderrResponses());
        assertEquals(4, report.errors());
        assertEquals(1, report.errors(ErrorKind.CONNECT));
        assertEquals(2, report.errors(ErrorKind.TIMEOUT));
        assertEquals(1, report.errors(ErrorKind.REFUSED));
        assertEquals("request timed out", report.firstError(ErrorKind.TIMEOUT));
        assertEquals("cannot connect to x", report.firstError(ErrorKind.CONNECT));
        assertEquals(4, report.kindCount(0));
        assertEquals(3, report.kindCount(1));
        assertEquals(4000, report.percentileMicros(50), 4);
        assertEquals(9, report.inFlight());
        assertEquals(10_000_000, report.longestWaitMicros());
        assertTrue(report.json().contains("\"errors\":{\"connect\":1,\"timeout\":2,\"refused\":1,\"protocol\":0,"
                + "\"other\":0},\"first_errors\":{\"connect\":\"cannot connect to x\",\"timeout\":\"request timed"
                + " out\",\"refused\":\"overloaded\"}"), report.json());
        String text = report.text();
        assertTrue(text.contains("  Errors: 4, connect 1, timeout 2, refused 1, protocol 0, other 0\n"), text);
        assertTrue(text.contains("    first timeout error: request timed out\n"), text);
        assertTrue(text.contains("  In flight at the end: 9, the longest waiting 10.00s\n"), text);
        assertTrue(text.contains("  Mix:\n     57.1%          4  GET /a\n     42.9%          3  GET /b\n"), text);
    }

    @Test
    void noResponsesReportZeros() {
        LoadReport report = new LoadStats(1).report(RUN, new LoadReport.End(0, -1, 0, 0));
        assertEquals(0, report.percentileMicros(99));
        assertEquals(0, report.maxMicros());
        assertEquals(0, report.requestsPerSecond());
    }

    @Test
    void units() {
        assertEquals("850.00us", LoadReport.micros(850));
        assertEquals("1.23ms", LoadReport.micros(1234));
        assertEquals("2.50s", LoadReport.micros(2_500_000));
        assertEquals("512.00B", LoadReport.bytes(512));
        assertEquals("2.00MB", LoadReport.bytes(2 * 1024 * 1024));
    }
}
