package dev.fcgi.benchmarks.soak;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The kinds of request in the soak's mix, each with its route (through nginx, or straight to the pool's socket with
 * {@code FcgiClient}), its weight among the kinds of that route, and the ranges its calls are drawn from. The
 * bodies above 256 KiB are larger than the server's spool threshold; {@link #UPLOAD_SPOOLED} makes the handler
 * wait before it reads, so that the body waits unread and goes to a spool file. The abort kinds end on purpose
 * before the answer: the client goes away while the handler waits, or after reading the first 64 KiB of a large
 * response (unbuffered, so that nginx passes the abort on).
 */
enum SoakKind {

    // route, weight among the route's kinds, upload min and max, response min and max (bytes), read delay, sleep min
    // and max (ms), unbuffered, abort
    GET(Route.NGINX, 40, 0, 0, 100, 4 << 10, 0, 0, 0, false, Abort.NONE),
    POST(Route.NGINX, 12, 1 << 10, 64 << 10, 256, 2 << 10, 0, 0, 0, false, Abort.NONE),
    UPLOAD(Route.NGINX, 4, 300 << 10, 2 << 20, 256, 256, 0, 0, 0, false, Abort.NONE),
    UPLOAD_SPOOLED(Route.NGINX, 2, 1 << 20, 2 << 20, 256, 256, 300, 0, 0, false, Abort.NONE),
    LARGE_BUFFERED(Route.NGINX, 3, 0, 0, 1 << 20, 8 << 20, 0, 0, 0, false, Abort.NONE),
    LARGE_UNBUFFERED(Route.NGINX, 3, 0, 0, 1 << 20, 8 << 20, 0, 0, 0, true, Abort.NONE),
    SLOW(Route.NGINX, 5, 0, 0, 512, 512, 0, 50, 500, false, Abort.NONE),
    ABORT_WAITING(Route.NGINX, 1, 0, 0, 512, 512, 0, 2000, 2000, false, Abort.WHILE_WAITING),
    ABORT_READING(Route.NGINX, 1, 0, 0, 16 << 20, 16 << 20, 0, 0, 0, true, Abort.WHILE_READING),
    FCGI_GET(Route.CLIENT, 15, 0, 0, 100, 4 << 10, 0, 0, 0, false, Abort.NONE),
    FCGI_POST(Route.CLIENT, 5, 1 << 10, 1 << 20, 256, 2 << 10, 0, 0, 0, false, Abort.NONE),
    FCGI_LARGE(Route.CLIENT, 2, 0, 0, 1 << 20, 4 << 20, 0, 0, 0, false, Abort.NONE),
    FCGI_SLOW(Route.CLIENT, 2, 0, 0, 512, 512, 0, 50, 500, false, Abort.NONE),
    FCGI_ABORT_WAITING(Route.CLIENT, 1, 0, 0, 512, 512, 0, 2000, 2000, false, Abort.WHILE_WAITING),
    FCGI_ABORT_READING(Route.CLIENT, 1, 0, 0, 16 << 20, 16 << 20, 0, 0, 0, false, Abort.WHILE_READING);

    /** Where a kind's requests go. */
    enum Route {
        /** HTTP/1.1 keep-alive through nginx ({@code fastcgi_keep_conn on}). */
        NGINX("nginx"),
        /** {@code FcgiClient} to the pool's socket: kept connections, multiplexed when the server offers it. */
        CLIENT("FcgiClient");

        private final String label;

        Route(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }
    }

    /** Whether and when the driver aborts a call on purpose. */
    enum Abort {
        NONE,
        /** The client goes away while the handler waits, before any answer. */
        WHILE_WAITING,
        /** The client goes away after the first {@link #READ_BEFORE_ABORT} bytes of the response. */
        WHILE_READING;

        /** How much of the response an abort while reading takes first. */
        static final int READ_BEFORE_ABORT = 64 * 1024;
    }

    private final Route route;
    private final int weight;
    private final long minUpload;
    private final long maxUpload;
    private final long minResponse;
    private final long maxResponse;
    private final int readDelayMillis;
    private final int minSleepMillis;
    private final int maxSleepMillis;
    private final boolean unbuffered;
    private final Abort abort;

    SoakKind(Route route, int weight, long minUpload, long maxUpload, long minResponse, long maxResponse,
             int readDelayMillis, int minSleepMillis, int maxSleepMillis, boolean unbuffered, Abort abort) {
        this.route = route;
        this.weight = weight;
        this.minUpload = minUpload;
        this.maxUpload = maxUpload;
        this.minResponse = minResponse;
        this.maxResponse = maxResponse;
        this.readDelayMillis = readDelayMillis;
        this.minSleepMillis = minSleepMillis;
        this.maxSleepMillis = maxSleepMillis;
        this.unbuffered = unbuffered;
        this.abort = abort;
    }

    /** The kind's name in the report and the query: {@code large-unbuffered}. */
    String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    Route route() {
        return route;
    }

    Abort abort() {
        return abort;
    }

    /** What a call of this kind is, for the report: {@code POST 1 KiB-64 KiB, response 256 B-2 KiB}. */
    String describe() {
        StringBuilder d = new StringBuilder(minUpload > 0 ? "POST " + range(minUpload, maxUpload) : "GET");
        d.append(", response ").append(range(minResponse, maxResponse));
        if (unbuffered) {
            d.append(" (X-Accel-Buffering: no)");
        }
        if (readDelayMillis > 0) {
            d.append(", read after ").append(readDelayMillis).append(" ms");
        }
        if (maxSleepMillis > 0) {
            d.append(", handler waits ").append(minSleepMillis == maxSleepMillis ? minSleepMillis + " ms"
                    : minSleepMillis + "-" + maxSleepMillis + " ms");
        }
        return d.append(switch (abort) {
            case NONE -> "";
            case WHILE_WAITING -> ", client leaves after 50-300 ms";
            case WHILE_READING -> ", client leaves after 64 KiB";
        }).toString();
    }

    private static String range(long min, long max) {
        return min == max ? size(min) : size(min) + "-" + size(max);
    }

    private static String size(long bytes) {
        return bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB"
                : bytes >= 1 << 10 && bytes % (1 << 10) == 0 ? (bytes >> 10) + " KiB" : bytes + " B";
    }

    /** A call of this kind with id {@code id}, its sizes and sleep drawn from {@code random}. */
    SoakCall call(long id, SplittableRandom random) {
        return new SoakCall(id, label(), between(random, minUpload, maxUpload),
                between(random, minResponse, maxResponse), readDelayMillis,
                (int) between(random, minSleepMillis, maxSleepMillis), unbuffered, abort != Abort.NONE);
    }

    private static long between(SplittableRandom random, long min, long max) {
        return min == max ? min : random.nextLong(min, max + 1);
    }

    /** Picks a kind of {@code route} by weight. */
    static SoakKind pick(Route route, SplittableRandom random) {
        List<SoakKind> kinds = of(route);
        int total = kinds.stream().mapToInt(k -> k.weight).sum();
        int n = random.nextInt(total);
        for (SoakKind kind : kinds) {
            n -= kind.weight;
            if (n < 0) {
                return kind;
            }
        }
        throw new AssertionError("weights of " + route);
    }

    /** The kinds of {@code route}, in order. */
    static List<SoakKind> of(Route route) {
        return Arrays.stream(values()).filter(k -> k.route == route).toList();
    }
}
