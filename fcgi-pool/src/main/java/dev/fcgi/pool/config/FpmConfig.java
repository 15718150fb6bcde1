package dev.fcgi.pool.config;

import dev.fcgi.pool.PoolDefinition;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A php-fpm.conf, read as php-fpm reads it: its {@code [global]} section and its pools, each pool's directives
 * validated with FPM's messages, ready for {@link dev.fcgi.pool.FcgiPoolManager#start(List)} through
 * {@link #definitions(ClassLoader)}.
 *
 * <pre>{@code
 * FpmConfig conf = FpmConfig.load(Path.of("/etc/php/8.2/fpm/php-fpm.conf"));
 * conf.notices().forEach(System.err::println);
 * FpmGlobalConfig global = conf.global();
 * FcgiPoolManager manager = FcgiPoolManager.builder().processMax(global.processMax())
 *         .emergencyRestart(global.emergencyRestartThreshold(), global.emergencyRestartInterval()).build()
 *         .start(conf.definitions(MyApp.class.getClassLoader()));
 * }</pre>
 *
 * <p>The syntax is php-fpm's (PHP's INI scanner, line by line: {@code ;} comments, {@code "..."} and {@code '...'}
 * values, {@code key[sub]}, {@code ${VAR}} from the environment, {@code $pool}, {@code include} globs), and so are
 * the errors, with the file and line: {@code [/etc/php/8.2/fpm/pool.d/www.conf:12] unknown entry 'pm.foo'}. Each
 * pool also names what its workers run, with one of two keys of our own:
 * <ul>
 *   <li>{@code handler = com.example.MyHandler}: in-JVM workers, each a new instance of that public class, which
 *       implements {@link dev.fcgi.protocol.server.FcgiHandler} and has a public no-argument constructor;</li>
 *   <li>{@code command = /usr/bin/php-cgi}: workers that are child processes running that program
 *       ({@link dev.fcgi.pool.process.ChildProcessWorkers}), split like a command line.</li>
 * </ul>
 *
 * <p>Relative paths ({@code include}, {@code listen} as a Unix socket, {@code access.log}, {@code slowlog},
 * {@code chdir}, {@code pid}, {@code error_log}, FPM's path-valued {@code php_value}s) are resolved against the pool's
 * {@code prefix}, else the global prefix: php-fpm's {@code -p}, given to {@link #load(Path, Path)}, or by default
 * the directory of the configuration file (php-fpm's default is its install prefix, such as {@code /usr}).
 * Immutable.
 */
public final class FpmConfig {

    private final Path file;
    private final Path prefix;
    private final FpmGlobalConfig global;
    private final List<FpmPool> pools;
    private final List<String> notices;

    FpmConfig(Path file, Path prefix, FpmGlobalConfig global, List<FpmPool> pools, List<String> fileNotices) {
        this.file = file;
        this.prefix = prefix;
        this.global = global;
        this.pools = List.copyOf(pools);
        List<String> all = new ArrayList<>(fileNotices);
        pools.forEach(p -> all.addAll(p.notices()));
        this.notices = List.copyOf(all);
    }

    /**
     * Reads {@code file}; relative paths resolve against its directory.
     *
     * @throws FpmConfigException for the first error, in FPM's words, with the file and line where there is one
     */
    public static FpmConfig load(Path file) throws FpmConfigException {
        return loader().load(file);
    }

    /**
     * Reads {@code file} with php-fpm's {@code -p prefix}: relative paths and includes resolve against
     * {@code prefix} ({@code null}: the file's directory).
     *
     * @throws FpmConfigException for the first error, in FPM's words, with the file and line where there is one
     */
    public static FpmConfig load(Path file, Path prefix) throws FpmConfigException {
        return loader().prefix(prefix).load(file);
    }

    /**
     * {@code php-fpm -t}: reads {@code file} and checks everything a start needs, without starting anything: every
     * directive, each handler class (loaded with {@code classLoader}, not instantiated) and each command's program
     * and child settings (the user and group exist, the tools are there). Never throws for a bad configuration.
     *
     * @param prefix php-fpm's {@code -p}, or {@code null} for the file's directory
     */
    public static FpmTestResult test(Path file, Path prefix, ClassLoader classLoader) {
        return loader().prefix(prefix).test(file, classLoader);
    }

    /** A loader, for a prefix or an environment of its own. */
    public static Loader loader() {
        return new Loader();
    }

    /** The configuration file read, absolute. */
    public Path file() {
        return file;
    }

    /** The directory relative paths were resolved against (a pool's own {@code prefix} aside). */
    public Path prefix() {
        return prefix;
    }

    /** The {@code [global]} section. */
    public FpmGlobalConfig global() {
        return global;
    }

    /** The pools, in the order their sections first appear. */
    public List<FpmPool> pools() {
        return pools;
    }

    /** The pool named {@code name}, in any case (as php-fpm matches section names). */
    public Optional<FpmPool> pool(String name) {
        return pools.stream().filter(p -> p.name().equalsIgnoreCase(name)).findFirst();
    }

    /**
     * Every notice and warning, for {@code php-fpm -t} to print: those of the files and {@code [global]} (a
     * {@code #} comment, an include pattern that matches nothing, a global directive the JVM cannot apply), then
     * each pool's ({@link FpmPool#notices()}).
     */
    public List<String> notices() {
        return notices;
    }

    /**
     * The pools with their workers, for {@link dev.fcgi.pool.FcgiPoolManager}: a {@code handler} pool creates a new
     * instance of its class (loaded with {@code classLoader}) for each worker; a {@code command} pool starts child
     * processes with {@link dev.fcgi.pool.process.ChildProcessWorkers}.
     *
     * @throws FpmConfigException {@code [pool www] ...} when a handler class is missing or unusable, a command's
     *                            program is not executable, or its child settings do not fit this host
     */
    public List<PoolDefinition> definitions(ClassLoader classLoader) throws FpmConfigException {
        Objects.requireNonNull(classLoader, "classLoader");
        List<PoolDefinition> definitions = new ArrayList<>(pools.size());
        for (FpmPool pool : pools) {
            definitions.add(new PoolDefinition(pool.config(), PoolWorkers.create(pool, classLoader)));
        }
        return definitions;
    }

    /** The whole configuration in php-fpm.conf form, like {@code php-fpm -tt}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(global.toString());
        pools.forEach(p -> s.append('\n').append(p));
        return s.toString();
    }

    /** Reads configurations with a prefix and an environment of its own. Not thread-safe. */
    public static final class Loader {
        private Path prefix;
        private Function<String, String> environment = System::getenv;

        private Loader() {
        }

        /** php-fpm's {@code -p}: where relative paths and includes resolve; {@code null} for the file's directory. */
        public Loader prefix(Path prefix) {
            this.prefix = prefix;
            return this;
        }

        /** Where {@code ${VAR}} is looked up: {@link System#getenv()} by default. */
        public Loader environment(Map<String, String> environment) {
            Map<String, String> copy = Map.copyOf(environment);
            this.environment = copy::get;
            return this;
        }

        /**
         * Reads {@code file} and the files it includes, and checks every pool.
         *
         * @throws FpmConfigException for the first error, in FPM's words, with the file and line where there is one
         */
        public FpmConfig load(Path file) throws FpmConfigException {
            return reader(file).read(file.toAbsolutePath().normalize());
        }

        /** {@code php-fpm -t}; see {@link FpmConfig#test(Path, Path, ClassLoader)}. */
        public FpmTestResult test(Path file, ClassLoader classLoader) {
            Objects.requireNonNull(classLoader, "classLoader");
            FpmConfigReader reader = null;
            FpmConfig config = null;
            try {
                reader = reader(file);
                config = reader.read(file.toAbsolutePath().normalize());
                config.definitions(classLoader);
                return new FpmTestResult(file, config.notices(), null);
            } catch (FpmConfigException e) {
                List<String> notices = config != null ? config.notices() : reader != null ? reader.notices()
                        : List.of();
                return new FpmTestResult(file, notices, e.getMessage());
            }
        }

        private FpmConfigReader reader(Path file) throws FpmConfigException {
            Objects.requireNonNull(file, "file");
            Path base;
            if (prefix != null) {
                base = prefix.toAbsolutePath().normalize();
                if (!Files.isDirectory(base)) {
                    throw new FpmConfigException("the global prefix '" + prefix
                            + "' does not exist or is not a directory");
                }
            } else {
                base = file.toAbsolutePath().normalize().getParent();
            }
            return new FpmConfigReader(base, environment);
        }
    }
}
