package dev.fcgi.examples.fpm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * php-fpm's signals on the JVM. SIGTERM and SIGINT stop now (the JVM's shutdown hook, as FPM's terminate). The
 * JVM keeps SIGQUIT (thread dumps) and SIGUSR2 (its own use) for itself, so FPM's graceful stop and reload move:
 *
 * <table>
 *   <caption>FPM's signal, and the daemon's</caption>
 *   <tr><th>action</th><th>php-fpm</th><th>this daemon</th></tr>
 *   <tr><td>stop now</td><td>SIGTERM, SIGINT</td><td>SIGTERM, SIGINT</td></tr>
 *   <tr><td>graceful stop</td><td>SIGQUIT</td><td>SIGWINCH (Apache httpd's graceful-stop signal)</td></tr>
 *   <tr><td>reload</td><td>SIGUSR2</td><td>SIGHUP</td></tr>
 *   <tr><td>reopen logs</td><td>SIGUSR1</td><td>SIGUSR1</td></tr>
 * </table>
 *
 * <p>{@code fpm -s ACTION -g PIDFILE} sends the right one with the {@code kill} program (Java cannot send signals).
 */
public final class FpmSignals {

    private static final Logger logger = LoggerFactory.getLogger(FpmSignals.class);
    /** Runs the signals' actions one at a time, off the JVM's signal dispatcher. */
    private static final ExecutorService ACTIONS_RUNNER = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("fpm-signal-action").daemon(true).factory());

    /** The control actions and the signal each is sent as. */
    public static final Map<String, String> ACTIONS = Map.of("reload", "HUP", "graceful-stop", "WINCH",
            "reopen-logs", "USR1", "stop", "TERM");

    private FpmSignals() {
    }

    /** Checks a {@code -s} action. */
    static String checkAction(String action) {
        if (!ACTIONS.containsKey(action)) {
            throw new IllegalArgumentException("unknown action '" + action + "' (reload, graceful-stop, reopen-logs"
                    + " or stop)");
        }
        return action;
    }

    /** Installs the handlers; each runs its action on a thread of its own, never in the signal dispatcher. */
    public static void install(Runnable reload, Runnable gracefulStop, Runnable reopenLogs) {
        handle("HUP", "Reloading in progress ...", reload);
        handle("WINCH", "Finishing ...", gracefulStop);
        handle("USR1", "reopening the logs", reopenLogs);
    }

    private static void handle(String signal, String notice, Runnable action) {
        Signal.handle(new Signal(signal), s -> {
            logger.info("{}", notice);
            ACTIONS_RUNNER.execute(() -> {          // one at a time: a reload never overlaps a stop
                try {
                    action.run();
                } catch (RuntimeException e) {
                    logger.error("SIG{} failed: {}", signal, e.toString(), e);
                }
            });
        });
    }

    /** Sends {@code action}'s signal to process {@code pid} with {@code kill}; returns its exit code. */
    public static int send(String action, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder(List.of("kill", "-s", ACTIONS.get(action), Long.toString(pid)))
                .inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS)) {
            kill.destroyForcibly();
            return 1;
        }
        return kill.exitValue();
    }
}
