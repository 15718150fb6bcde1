package dev.fcgi.examples.fpm;

import java.nio.file.Path;
import java.util.List;

/**
 * The daemon's command line, php-fpm's options where they make sense:
 * {@code -y/--fpm-config FILE}, {@code -p/--prefix DIR}, {@code -g/--pid FILE}, {@code -t/--test} (twice: also
 * print the configuration), {@code -F/--nodaemonize} (the default), {@code -R/--allow-to-run-as-root} (lets Java
 * handler pools run in a daemon that runs as root; child processes never run as root), {@code -h/--help}, {@code -v/--version}; and one of our own,
 * {@code -s/--signal reload|graceful-stop|reopen-logs|stop}, which sends the mapped signal to the daemon named by
 * the pid file.
 *
 * @param config  the configuration file
 * @param prefix  the prefix for relative paths, or {@code null}
 * @param pidFile the pid file, or {@code null} (the configuration's {@code pid}, if any)
 * @param test    0, or how many {@code -t} were given
 * @param help    print the usage
 * @param version print the version
 * @param signal  the control action to send, or {@code null}
 * @param allowRoot whether Java handler pools may run in a daemon that runs as root ({@code -R})
 */
public record FpmOptions(Path config, Path prefix, Path pidFile, int test, boolean help, boolean version,
                         String signal, boolean allowRoot) {

    /** The configuration file when {@code -y} is not given, relative to the prefix as in FPM. */
    public static final String DEFAULT_CONFIG = "etc/php-fpm.conf";

    /** Usage text, as {@code -h} prints it. */
    public static final String USAGE = """
            Usage: java -jar fcgi-examples.jar fpm [-y FILE] [-p DIR] [-g FILE] [-t] [-F] [-R] [-s ACTION] [-h] [-v]
              -y, --fpm-config FILE  the php-fpm.conf to read (default: PREFIX/etc/php-fpm.conf)
              -p, --prefix DIR       the prefix for relative paths (default: the current directory)
              -g, --pid FILE         write the pid here (overrides the configuration's 'pid')
              -t, --test             check the configuration and exit (twice: also print it)
              -F, --nodaemonize      stay in the foreground (the default; run it under systemd or a supervisor)
              -R, --allow-to-run-as-root  let Java handler pools run in a daemon that runs as root (child
                                     processes never run as root)
              -s, --signal ACTION    tell the running daemon (found by -g or the configuration's pid file) to
                                     reload, graceful-stop, reopen-logs or stop
              -h, --help             this help
              -v, --version          the version
            """;

    /**
     * Parses php-fpm's options.
     *
     * @throws IllegalArgumentException with a message for an unknown or incomplete option
     */
    public static FpmOptions parse(List<String> args) {
        Path config = null;
        Path prefix = null;
        Path pid = null;
        int test = 0;
        boolean help = false;
        boolean version = false;
        String signal = null;
        boolean allowRoot = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "-y", "--fpm-config" -> config = Path.of(value(args, ++i, arg));
                case "-p", "--prefix" -> prefix = Path.of(value(args, ++i, arg));
                case "-g", "--pid" -> pid = Path.of(value(args, ++i, arg));
                case "-t", "--test" -> test++;
                case "-tt" -> test += 2;
                case "-F", "--nodaemonize" -> { }
                case "-R", "--allow-to-run-as-root" -> allowRoot = true;
                case "-D", "--daemonize" -> throw new IllegalArgumentException("-D/--daemonize is not supported: the"
                        + " JVM cannot fork; run it in the foreground under systemd or a supervisor (-F, the default)");
                case "-s", "--signal" -> signal = FpmSignals.checkAction(value(args, ++i, arg));
                case "-h", "--help" -> help = true;
                case "-v", "--version" -> version = true;
                default -> throw new IllegalArgumentException("unknown option '" + arg + "'");
            }
        }
        Path base = prefix != null ? prefix : Path.of("");
        // php-fpm reads -y from the working directory; only the default lies under the prefix
        Path file = (config != null ? config : base.resolve(DEFAULT_CONFIG)).toAbsolutePath();
        return new FpmOptions(file, prefix, pid, test, help, version, signal, allowRoot);
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size() || args.get(i).isEmpty()) {
            throw new IllegalArgumentException("option '" + option + "' requires an argument");
        }
        return args.get(i);
    }
}
