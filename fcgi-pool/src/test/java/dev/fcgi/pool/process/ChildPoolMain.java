package dev.fcgi.pool.process;

import dev.fcgi.pool.FcgiPool;
import dev.fcgi.pool.StaticStrategy;

/**
 * A JVM for {@link ChildSurvivalTest}: starts a static pool of two php-cgi children, prints their pids on one line
 * ({@code pids 123 456}) and waits to be stopped by a signal.
 */
public final class ChildPoolMain {

    private ChildPoolMain() {
    }

    public static void main(String[] args) throws Exception {
        String phpCgi = args[0];
        String user = args.length > 1 ? args[1] : null;
        FcgiPool pool = FcgiPool.builder("www").strategy(StaticStrategy.of(2))
                .workers(ChildProcessWorkers.builder(phpCgi).user(user).build()).build().start();
        StringBuilder line = new StringBuilder("pids");
        pool.snapshot().workers().forEach(w -> line.append(' ').append(w.pid()));
        System.out.println(line);
        System.out.flush();
        Thread.currentThread().join();      // until SIGTERM or SIGKILL
    }
}
