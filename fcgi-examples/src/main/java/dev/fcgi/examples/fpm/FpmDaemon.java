package dev.fcgi.examples.fpm;

import com.sun.security.auth.module.UnixSystem;
import dev.fcgi.pool.FcgiPoolManager;
import dev.fcgi.pool.config.FpmConfig;
import dev.fcgi.pool.config.FpmConfigException;
import dev.fcgi.pool.config.FpmGlobalConfig;
import dev.fcgi.pool.config.FpmPool;
import dev.fcgi.pool.config.FpmTestResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The {@code fpm} example: php-fpm's daemon on the JVM. It reads a php-fpm.conf ({@link FpmConfig}: FPM's pools,
 * plus {@code handler = ...} for Java pools and {@code command = ...} for pools of child processes such as
 * php-cgi), runs every pool with an {@link FcgiPoolManager}, and logs in FPM's format.
 *
 * <pre>
 * java -jar fcgi-examples.jar fpm -y /etc/fcgi/php-fpm.conf -t     # check, as php-fpm -t
 * java -jar fcgi-examples.jar fpm -y /etc/fcgi/php-fpm.conf        # run in the foreground
 * java -jar fcgi-examples.jar fpm -g /run/fcgi-fpm.pid -s reload   # tell it to reload (SIGHUP)
 * </pre>
 *
 * Signals as {@link FpmSignals} maps them: SIGTERM/SIGINT stop now, SIGWINCH stops gracefully (running requests
 * finish within {@code process_control_timeout}, 30 s when it is 0), SIGHUP reloads the configuration (no request
 * is dropped; a configuration with errors is refused and the running pools stay), SIGUSR1 reopens the error log.
 */
public final class FpmDaemon {

    private static final Logger logger = LoggerFactory.getLogger(FpmDaemon.class);
    /** How long a graceful stop waits when {@code process_control_timeout} is 0 (FPM would not wait at all). */
    static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);
    static final String VERSION = "fcgi-fpm 0.1.0 (FastCGI on the JVM; Java " + Runtime.version() + ")";

    private final FpmOptions options;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile FcgiPoolManager manager;
    private volatile FpmConfig config;
    private volatile boolean finished;      // a graceful stop is done: the exit hook only tidies up
    private Path pidFile;

    private FpmDaemon(FpmOptions options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        int code = run(List.of(args), System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the command line; returns the exit code (after the daemon stopped, when it ran one). */
    static int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        FpmOptions options;
        try {
            options = FpmOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("fpm: " + e.getMessage());
            err.print(FpmOptions.USAGE);
            return 64;
        }
        if (options.help()) {
            out.print(FpmOptions.USAGE);
            return 0;
        }
        if (options.version()) {
            out.println(VERSION);
            return 0;
        }
        if (options.signal() != null) {
            return signal(options, err);
        }
        if (options.test() > 0) {
            return test(options, out);
        }
        return new FpmDaemon(options).serve();
    }

    /** {@code -t}: FPM's check, its notices, and {@code test is successful} or the error; {@code -tt} prints the configuration. */
    private static int test(FpmOptions options, PrintStream out) {
        FpmTestResult result = FpmConfig.loader().prefix(options.prefix()).test(options.config(),
                FpmDaemon.class.getClassLoader());
        result.notices().forEach(notice -> logger.info("{}", notice));
        if (!result.successful()) {
            logger.error("{}", result.message());
            logger.error("FPM initialization failed");
            return 1;
        }
        if (options.test() > 1) {
            try {
                out.print(FpmConfig.loader().prefix(options.prefix()).load(options.config()));
            } catch (FpmConfigException e) {
                logger.error("{}", e.getMessage());
                return 1;
            }
        }
        logger.info("{}", result.message());
        return 0;
    }

    /** {@code -s ACTION}: sends the mapped signal to the daemon whose pid file {@code -g} or the configuration names. */
    private static int signal(FpmOptions options, PrintStream err) throws Exception {
        Path pid = options.pidFile();
        if (pid == null) {
            try {
                pid = FpmConfig.loader().prefix(options.prefix()).load(options.config()).global().pid();
            } catch (FpmConfigException e) {
                err.println("fpm: " + e.getMessage());
                return 1;
            }
        }
        if (pid == null || !Files.isRegularFile(pid)) {
            err.println("fpm: no pid file (" + pid + "): give it with -g, or set 'pid' in [global]");
            return 1;
        }
        long target;
        try {
            target = Long.parseLong(Files.readString(pid).strip());
        } catch (NumberFormatException e) {
            err.println("fpm: the pid file " + pid + " holds no pid");
            return 1;
        }
        boolean running = ProcessHandle.of(target).filter(ProcessHandle::isAlive)
                .flatMap(h -> h.info().command()).map(command -> command.endsWith("java")).orElse(false);
        if (!running) {
            err.println("fpm: the pid file " + pid + " is stale: process " + target + " is not a running JVM");
            return 1;
        }
        return FpmSignals.send(options.signal(), target);
    }

    /** Loads the configuration, starts every pool, and serves until a signal stops it. */
    private int serve() throws Exception {
        // the hook first: a SIGTERM during the start still stops whatever pools and children have started
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("fpm-terminate").unstarted(this::terminate));
        try {
            config = FpmConfig.loader().prefix(options.prefix()).load(options.config());
            applyLog(config.global());
            checkRoot(config);
            config.notices().forEach(notice -> logger.info("{}", notice));
            writePidFile();
            logger.info("fpm is running, pid {}", ProcessHandle.current().pid());
            FcgiPoolManager.Builder builder = FcgiPoolManager.builder().processMax(config.global().processMax());
            if (config.global().emergencyRestartThreshold() > 0
                    && !config.global().emergencyRestartInterval().isZero()) {
                builder.emergencyRestart(config.global().emergencyRestartThreshold(),
                        config.global().emergencyRestartInterval());
            }
            manager = builder.build().start(config.definitions(FpmDaemon.class.getClassLoader()));
        } catch (IOException | RuntimeException e) {
            logger.error("{}", e.getMessage() == null ? e.toString() : e.getMessage());
            logger.error("FPM initialization failed");
            return 1;               // main exits: the hook stops what started and removes the pid file
        }
        FpmSignals.install(this::reload, this::gracefulStop, this::reopenLogs);
        logger.info("ready to handle connections");
        stopped.await();
        return 0;
    }

    private static void applyLog(FpmGlobalConfig global) throws IOException {
        FpmLog.level(global.logLevel());
        if (global.errorLogToSyslog()) {
            logger.warn("error_log = syslog is not supported here: logging to stderr");
        } else if (global.errorLog() != null) {
            FpmLog.file(Path.of(global.errorLog()));
        }
    }

    /** Writes the pid file as php-fpm does: the old one removed, a new file created (never through a link). */
    private void writePidFile() throws IOException {
        Path file = options.pidFile() != null ? options.pidFile() : config.global().pid();
        if (file != null) {
            Files.deleteIfExists(file);
            Files.writeString(file, ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII,
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            pidFile = file;
        }
    }

    /**
     * FPM runs no worker as root without {@code -R}. Child processes never run as root (their pool must name another
     * user); a Java handler pool runs in this JVM, so a daemon that runs as root needs {@code -R} to serve one.
     */
    private void checkRoot(FpmConfig config) {
        if (options.allowRoot() || new UnixSystem().getUid() != 0) {
            return;
        }
        for (FpmPool pool : config.pools()) {
            if (pool.isHandlerPool()) {
                throw new IllegalStateException("[pool " + pool.name() + "] a Java handler pool runs in the daemon's"
                        + " own process, which runs as root: run the daemon as another user, or pass"
                        + " -R/--allow-to-run-as-root");
            }
        }
    }

    /** SIGHUP: FPM's SIGUSR2, a reload that drops nothing; a configuration with errors changes nothing. */
    private void reload() {
        try {
            FpmConfig next = FpmConfig.loader().prefix(options.prefix()).load(options.config());
            next.notices().forEach(notice -> logger.info("{}", notice));
            checkRoot(next);
            manager.reload(next.definitions(FpmDaemon.class.getClassLoader()));
            config = next;
            applyLog(next.global());
            logger.info("reloaded {}", options.config());
        } catch (IOException | RuntimeException e) {
            logger.error("reload refused, the running pools stay: {}", e.getMessage());
        }
    }

    /** SIGWINCH: FPM's SIGQUIT, running requests finish, then the daemon exits. */
    private void gracefulStop() {
        Duration timeout = config.global().processControlTimeout().isZero() ? DEFAULT_GRACE
                : config.global().processControlTimeout();
        try {
            manager.shutdownGracefully(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            manager.shutdownNow();
        }
        finished = true;
        System.exit(0);             // runs the shutdown hook: the pid file goes, and "exiting, bye-bye!"
    }

    /** SIGUSR1: the error log is opened again (access logs open their file for every line anyway). */
    private void reopenLogs() {
        try {
            FpmLog.reopen();
            logger.info("error log file re-opened");
        } catch (IOException e) {
            logger.error("unable to re-open the error log: {}", e.toString());
        }
    }

    /** SIGTERM, SIGINT and exit: stop every pool now (children get SIGTERM, then SIGKILL), remove the pid file. */
    private void terminate() {
        FcgiPoolManager running = manager;
        if (running == null && pidFile == null) {
            stopped.countDown();
            return;                 // nothing had started
        }
        if (!finished) {
            logger.info("Terminating ...");
        }
        if (running != null) {
            running.shutdownNow();
        }
        if (pidFile != null) {
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                logger.warn("unable to remove the pid file {}: {}", pidFile, e.toString());
            }
        }
        logger.info("exiting, bye-bye!");
        stopped.countDown();
    }
}
