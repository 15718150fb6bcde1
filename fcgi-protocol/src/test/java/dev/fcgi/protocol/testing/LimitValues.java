package dev.fcgi.protocol.testing;

import java.util.Random;
import java.util.stream.IntStream;

/**
 * The values a limit test tries: the edges it names (the smallest allowed, the default, a record's size), then one
 * drawn from a fixed seed, so that each run tries the same values and a failure names a value that reproduces it.
 */
public final class LimitValues {

    /** The seed of every drawn value (a date). */
    public static final long SEED = 20_251_122L;

    private LimitValues() {
    }

    /** {@code edges}, then a value drawn in {@code [from, to)}, the same on every run. */
    public static IntStream edgesAndSeeded(int from, int to, int... edges) {
        return IntStream.concat(IntStream.of(edges), IntStream.of(random(from, to).nextInt(from, to)));
    }

    /** A random source for drawing values of one test, seeded by {@link #SEED} and the range it draws from. */
    public static Random random(int from, int to) {
        return new Random(SEED + 31L * from + to);
    }
}
