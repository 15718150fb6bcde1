package dev.fcgi.benchmarks.soak;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SoakCallTest {

    @Test
    void theQueryCarriesTheCallButItsUpload() {
        SoakCall call = new SoakCall(12, "large-unbuffered", 300, 4096, 20, 50, true, true);
        assertEquals("id=12&kind=large-unbuffered&size=4096&delay=20&sleep=50&unbuffered=1&abort=1", call.query());
        assertEquals(new SoakCall(12, "large-unbuffered", 0, 4096, 20, 50, true, true), SoakCall.parse(call.query()));
        assertEquals("/soak?id=3&kind=get&size=0", new SoakCall(3, "get", 0, 0, 0, 0, false, false).uri());
    }

    @Test
    void aQueryWithoutIdOrWithABadNumberIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> SoakCall.parse("kind=get&size=1"));
        assertThrows(IllegalArgumentException.class, () -> SoakCall.parse("id=1&size=-1"));
        assertThrows(IllegalArgumentException.class, () -> SoakCall.parse("id=x"));
    }

    @Test
    void everyKindDrawsCallsWithinItsRanges() {
        SplittableRandom random = new SplittableRandom(1);
        for (SoakKind kind : SoakKind.values()) {
            for (int i = 0; i < 50; i++) {
                SoakCall call = kind.call(i, random);
                assertEquals(kind.label(), call.kind());
                assertEquals(kind.abort() != SoakKind.Abort.NONE, call.abort(), kind::describe);
                assertTrue(call.responseBytes() <= 16 << 20 && call.requestBytes() <= 2 << 20, kind::describe);
            }
        }
        assertEquals("POST 300 KiB-2 MiB, response 256 B", SoakKind.UPLOAD.describe());
        for (SoakKind.Route route : SoakKind.Route.values()) {
            assertTrue(SoakKind.of(route).contains(SoakKind.pick(route, random)));
        }
    }

    @Test
    void totalsSurviveTheirLine() {
        SoakTotals totals = new SoakTotals(10, 1, 2, 3, 4);
        assertEquals("answered=10 unfinished=1 abort-calls=2 aborts-seen=3 rejected=4", totals.format());
        assertEquals(totals, SoakTotals.parse(totals.format() + "\n"));
        assertThrows(IllegalArgumentException.class, () -> SoakTotals.parse("answered=1"));
    }
}
