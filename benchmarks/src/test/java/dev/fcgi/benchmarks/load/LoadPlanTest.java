package dev.fcgi.benchmarks.load;

import org.junit.jupiter.api.Test;

import static dev.fcgi.benchmarks.load.LoadPlan.Admission.MEASURE;
import static dev.fcgi.benchmarks.load.LoadPlan.Admission.STOP;
import static dev.fcgi.benchmarks.load.LoadPlan.Admission.WARMUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadPlanTest {

    private static final long START = 1_000_000;

    @Test
    void warmupThenMeasureUntilTheDeadline() {
        LoadPlan plan = new LoadPlan(START, 100, 1000, 0, 1);

        assertEquals(WARMUP, plan.admit(START, START));
        assertEquals(WARMUP, plan.admit(START + 99, START + 99));
        assertEquals(MEASURE, plan.admit(START + 100, START + 100));
        assertEquals(MEASURE, plan.admit(START + 1099, START + 1099));
        assertEquals(STOP, plan.admit(START + 1100, START + 1100));
        assertTrue(plan.beforeDeadline(START + 1099));
        assertFalse(plan.beforeDeadline(START + 1100));
    }

    @Test
    void anOpenLoopStopsAtTheDeadlineOfEitherClock() {
        LoadPlan plan = new LoadPlan(START, 0, 1000, 0, 1);

        assertEquals(MEASURE, plan.admit(START + 500, START + 999), "scheduled late, still in time");
        assertEquals(STOP, plan.admit(START + 500, START + 1000), "behind schedule at the deadline");
        assertEquals(STOP, plan.admit(START + 1000, START + 10), "scheduled past the deadline");
    }

    @Test
    void countsMeasuredRequestsOnly() {
        LoadPlan plan = new LoadPlan(START, 100, 1000, 2, 1);

        assertEquals(WARMUP, plan.admit(START, START));
        assertEquals(WARMUP, plan.admit(START + 1, START + 1));
        assertEquals(MEASURE, plan.admit(START + 200, START + 200));
        assertEquals(MEASURE, plan.admit(START + 300, START + 300));
        assertEquals(STOP, plan.admit(START + 400, START + 400));
    }

    @Test
    void stopStopsEveryone() {
        LoadPlan plan = new LoadPlan(START, 0, 1000, 0, 1);
        plan.stop();
        assertTrue(plan.isStopped());
        assertEquals(STOP, plan.admit(START, START));
    }

    @Test
    void theLastUserToStopEndsTheRun() throws InterruptedException {
        LoadPlan plan = new LoadPlan(System.nanoTime(), 0, 60_000_000_000L, 0, 2);
        plan.userStopped();
        assertFalse(plan.awaitFinished(0));
        plan.userStopped();
        assertTrue(plan.awaitFinished(0));
    }
}
