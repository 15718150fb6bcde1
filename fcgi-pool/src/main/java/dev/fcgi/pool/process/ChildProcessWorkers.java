package dev.fcgi.pool.process;

import dev.fcgi.pool.PhpIniSetting;
import dev.fcgi.pool.PoolConfig;
import dev.fcgi.pool.PoolWorker;
import dev.fcgi.pool.WorkerFactory;
import dev.fcgi.pool.WorkerSlot;
import dev.fcgi.protocol.FcgiTransport;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Workers that are child processes: each worker of the pool is one external FastCGI program (php-cgi, or any
 * FastCGI application) that the pool starts, feeds requests over a kept connection and replaces, as FPM manages its
 * children. The pool's strategies, {@code pm.max_requests}, status page, slowlog and terminate timeout apply to the
 * children exactly as to threads.
 *
 * <pre>{@code
 * FcgiPool pool = FcgiPool.builder("www")
 *         .strategy(DynamicStrategy.newBuilder().maxChildren(8).minSpareServers(1).maxSpareServers(3).build())
 *         .workers(ChildProcessWorkers.builder("/usr/bin/php-cgi").user("www-data").build())
 *         .build().start();
 * }</pre>
 *
 * <ul>
 *   <li><b>The socket.</b> Each child listens on a Unix socket of its own in a private directory (mode 0700, owned
 *       by the children's user), or on a free loopback TCP port with {@link Socket#TCP}. A {@code php-cgi} command
 *       gets {@code -b <socket>} appended and {@code PHP_FCGI_CHILDREN=0} (it must not fork children of its own)
 *       and {@code PHP_FCGI_MAX_REQUESTS=0} (the pool recycles it, after {@code pm.max_requests}); any other
 *       program says where it takes the address with the placeholder {@value #SOCKET}, e.g.
 *       {@code spawn-fcgi -n -s {socket} -- /usr/lib/cgi-bin/app} for a program that expects its listening
 *       socket as file descriptor 0.</li>
 *   <li><b>Start.</b> A worker is ready when its child accepts a connection, within {@link Builder#startTimeout}. A
 *       child that exits first, or never accepts, is a failed start with the end of its stderr in the error, and the
 *       pool retries with a back-off.</li>
 *   <li><b>Requests</b> stream both ways with bounded memory (request body, response body, FCGI_STDERR passed on
 *       to the web server). A child that dies under a request: the request gets a 502 (or, when its answer had
 *       begun, is cut short so that the web server sees it fail), the child is reaped and replaced, and its end is
 *       logged as FPM logs it: {@code [pool www] child 1234 exited on signal 9 (SIGKILL) after 12.345000 seconds
 *       from start}.</li>
 *   <li><b>Stop.</b> A retired child gets SIGTERM (php-cgi finishes its request and exits), then SIGKILL after
 *       {@link Builder#stopGrace}; {@code request_terminate_timeout} sends SIGTERM, then SIGKILL. A JVM shutdown
 *       hook stops the children still running, and each child is started with a parent-death signal
 *       ({@code setpriv --pdeathsig KILL}), so that none outlives even a JVM killed with SIGKILL.</li>
 *   <li><b>FPM's pool directives for children</b>: {@code user}/{@code group} (applied with {@code setpriv} when
 *       the host runs as root; a root host must name a user, and children never run as root),
 *       {@code env[]}/{@code clear_env}, {@code chdir}, {@code rlimit_files}/{@code rlimit_core} ({@code prlimit}),
 *       {@code process.priority} ({@code nice}), {@code catch_workers_output}/{@code decorate_workers_output},
 *       and {@code php_value[]}/{@code php_admin_value[]} as {@code -d} options. {@link #builder} checks that the
 *       tools these need are on the PATH.</li>
 * </ul>
 *
 * <p>Thread-safe; one instance may serve several pools, and a reloaded pool's new generation.
 */
public final class ChildProcessWorkers implements WorkerFactory {

    /** The placeholder in a command that is replaced with the child's listen address. */
    public static final String SOCKET = "{socket}";
    /** Default {@link Builder#startTimeout}. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(10);
    /** Default {@link Builder#stopGrace}. */
    public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(2);

    private static final Logger logger = LoggerFactory.getLogger(ChildProcessWorkers.class);
    private static final int MAX_UNIX_PATH = 107;

    /** Where a child listens. */
    public enum Socket {
        /** A Unix socket in the pool's private directory (the default). */
        UNIX,
        /** A free TCP port on 127.0.0.1. */
        TCP
    }

    private final List<String> command;
    private final boolean php;
    private final Map<String, String> env;
    private final boolean clearEnv;
    private final List<PhpIniSetting> phpSettings;
    private final Path chdir;
    private final boolean catchOutput;
    private final boolean decorateOutput;
    private final Duration startTimeout;
    private final Duration stopGrace;
    private final Socket socket;
    private final Path runtimeParent;
    private final EventLoopGroup group;
    private final List<String> wrappers;
    private final Privileges privileges;
    private final AtomicLong sequence = new AtomicLong();
    private Path runtimeDirectory;          // created at the first start

    private ChildProcessWorkers(Builder b, List<String> wrappers, Privileges privileges) {
        this.command = List.copyOf(b.command);
        this.php = isPhpCgi(b.command.get(0));
        this.env = new LinkedHashMap<>(b.env);
        this.clearEnv = b.clearEnv;
        this.phpSettings = new ArrayList<>(b.phpSettings.values());
        this.chdir = b.chdir;
        this.catchOutput = b.catchOutput;
        this.decorateOutput = b.decorateOutput;
        this.startTimeout = b.startTimeout;
        this.stopGrace = b.stopGrace;
        this.socket = b.socket;
        this.runtimeParent = b.runtimeDirectory;
        this.group = b.loops;
        this.wrappers = wrappers;
        this.privileges = privileges;
    }

    /** A builder for children that run {@code command} (the program and its arguments). */
    public static Builder builder(String... command) {
        return builder(List.of(command));
    }

    /** A builder for children that run {@code command} (the program and its arguments). */
    public static Builder builder(List<String> command) {
        return new Builder(command);
    }

    /** The command as given. */
    public List<String> command() {
        return command;
    }

    /** Whether the command is php-cgi, whose scripts FPM's {@code security.limit_extensions} default applies to. */
    public boolean runsPhp() {
        return php;
    }

    /** FPM's {@code .php .phar} for php-cgi, none for other programs. */
    @Override
    public List<String> defaultLimitExtensions() {
        return php ? List.of(PoolConfig.DEFAULT_LIMIT_EXTENSIONS.split(" ")) : List.of();
    }

    private static boolean isPhpCgi(String program) {
        return Path.of(program).getFileName().toString().startsWith("php-cgi");
    }

    @Override
    public PoolWorker start(WorkerSlot slot) throws Exception {
        Path program = SystemTools.find(command.get(0)).orElseThrow(() -> new ChildStartException(
                "the command '" + command.get(0) + "' is not an executable file"
                        + (command.get(0).contains("/") ? "" : " on the PATH (" + System.getenv("PATH") + ")")));
        long seq = sequence.incrementAndGet();
        SocketAddress address;
        String listenArgument;
        Path socketFile = null;
        if (socket == Socket.UNIX) {
            socketFile = runtimeDirectory().resolve("w" + seq + ".sock");
            Files.deleteIfExists(socketFile);
            ChildReaper.deleteAtExit(socketFile);
            address = UnixDomainSocketAddress.of(socketFile);
            listenArgument = socketFile.toString();
        } else {
            int port = freeLoopbackPort();
            address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            listenArgument = InetAddress.getLoopbackAddress().getHostAddress() + ":" + port;
        }
        ProcessBuilder builder = new ProcessBuilder(argv(program, listenArgument))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        environment(builder.environment());
        if (chdir != null) {
            builder.directory(chdir.toFile());
        }
        Process process = builder.start();
        ChildReaper.track(process);
        ChildOutput stdout = ChildOutput.read(slot.poolName(), process.pid(), "stdout", process.getInputStream(),
                catchOutput, decorateOutput);
        ChildOutput stderr = ChildOutput.read(slot.poolName(), process.pid(), "stderr", process.getErrorStream(),
                catchOutput, decorateOutput);
        try {
            awaitAccepting(process, address, stdout, stderr);
        } catch (Exception | Error e) {
            process.destroyForcibly();
            if (socketFile != null) {
                Files.deleteIfExists(socketFile);
                ChildReaper.forget(socketFile);
            }
            throw e;
        }
        logger.debug("[pool {}] child {} started", slot.poolName(), process.pid());
        return new ChildProcessWorker(slot, process, address, socketFile, group(), stopGrace, php);
    }

    /** The command line: the wrappers (prlimit, nice, setpriv), the program, php's -d options, the arguments. */
    List<String> argv(Path program, String listenArgument) {
        List<String> argv = new ArrayList<>(wrappers);
        argv.add(program.toString());
        if (php) {
            for (PhpIniSetting setting : phpSettings) {
                argv.add("-d");
                argv.add(setting.asDefine());
            }
        }
        boolean placed = false;
        for (String argument : command.subList(1, command.size())) {
            placed |= argument.contains(SOCKET);
            argv.add(argument.replace(SOCKET, listenArgument));
        }
        if (!placed) {
            argv.add("-b");
            argv.add(listenArgument);
        }
        return argv;
    }

    private void environment(Map<String, String> environment) {
        Map<String, String> host = System.getenv();
        if (clearEnv) {
            environment.clear();
        }
        env.forEach((name, value) -> {
            // FPM: a value "$NAME" is taken from the master's environment
            String resolved = value.startsWith("$") ? host.getOrDefault(value.substring(1), "") : value;
            environment.put(name, resolved);
        });
        if (php) {
            environment.put("PHP_FCGI_CHILDREN", "0");
            environment.put("PHP_FCGI_MAX_REQUESTS", "0");
        }
    }

    /** Waits until the child accepts a connection; fails when it exits first or the start timeout passes. */
    private void awaitAccepting(Process process, SocketAddress address, ChildOutput stdout, ChildOutput stderr)
            throws Exception {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        long pauseMillis = 2;
        for (;;) {
            if (!process.isAlive()) {
                int exit = process.waitFor();
                throw new ChildStartException("child " + process.pid() + " exited " + ChildExit.describe(exit)
                        + " before it accepted connections on " + FcgiTransport.formatAddress(address)
                        + said(stdout, stderr));
            }
            if (accepts(address)) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new ChildStartException("child " + process.pid() + " did not accept connections on "
                        + FcgiTransport.formatAddress(address) + " within " + startTimeout.toMillis() + " ms"
                        + said(stdout, stderr));
            }
            Thread.sleep(pauseMillis);                   // polls a process we do not control: nothing to wait on
            pauseMillis = Math.min(pauseMillis * 2, 50);
        }
    }

    private static String said(ChildOutput stdout, ChildOutput stderr) {
        String err = stderr.tail(200);
        String out = stdout.tail(50);
        String text = (err + "\n" + out).strip();
        if (text.isEmpty()) {
            return "; it wrote nothing to stdout or stderr";
        }
        return "; it said: " + (text.length() > 1000 ? text.substring(text.length() - 1000) : text);
    }

    private static boolean accepts(SocketAddress address) {
        StandardProtocolFamily family = address instanceof UnixDomainSocketAddress ? StandardProtocolFamily.UNIX
                : address instanceof InetSocketAddress inet && inet.getAddress() instanceof java.net.Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        try (SocketChannel channel = SocketChannel.open(family)) {
            return channel.connect(address);
        } catch (IOException e) {
            return false;
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /**
     * The private directory for the children's sockets: a directory of the JVM's own (mode 0711: nobody else may
     * list, rename or replace what is in it) holding {@code run/}, mode 0700 and owned by the children's user.
     */
    private synchronized Path runtimeDirectory() throws IOException {
        if (runtimeDirectory == null) {
            Path parent = runtimeParent != null ? runtimeParent : Path.of(System.getProperty("java.io.tmpdir"));
            Files.createDirectories(parent);
            Path top = Files.createTempDirectory(parent, "fcgi-children-");
            Files.setPosixFilePermissions(top, PosixFilePermissions.fromString("rwx--x--x"));
            Path dir = Files.createDirectory(top.resolve("run"),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            top.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            if (dir.toString().length() + 24 > MAX_UNIX_PATH) {
                throw new ChildStartException("the runtime directory " + dir + " is too long for Unix socket paths ("
                        + MAX_UNIX_PATH + " bytes): set a shorter one, or use Socket.TCP");
            }
            privileges.own(dir);
            runtimeDirectory = dir;
        }
        return runtimeDirectory;
    }

    private EventLoopGroup group() {
        return group != null ? group : SharedLoops.GROUP;
    }

    @Override
    public String toString() {
        return "ChildProcessWorkers" + command;
    }

    /** The event loops of every child's connection, unless the builder was given a group: daemon threads. */
    private static final class SharedLoops {
        static final EventLoopGroup GROUP = FcgiTransport.newEventLoopGroup(
                Math.max(1, Runtime.getRuntime().availableProcessors() / 2), "fcgi-children");
    }

    /** A start that failed: the pool logs the message and retries after its back-off. */
    static final class ChildStartException extends IOException {
        ChildStartException(String message) {
            super(message);
        }
    }

    /**
     * Collects the command and FPM's directives for children; {@link #build()} checks them against the host (the
     * user exists, the tools are there). Not thread-safe.
     */
    public static final class Builder {
        private final List<String> command;
        private String poolName = "?";
        private final Map<String, String> env = new LinkedHashMap<>();
        private boolean clearEnv = true;
        private final Map<String, PhpIniSetting> phpSettings = new LinkedHashMap<>();
        private String user;
        private String group;
        private Path chdir;
        private Long rlimitFiles;
        private Long rlimitCore;
        private Integer processPriority;
        private boolean catchOutput;
        private boolean decorateOutput = true;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private Duration stopGrace = DEFAULT_STOP_GRACE;
        private Socket socket = Socket.UNIX;
        private Path runtimeDirectory;
        private EventLoopGroup loops;

        private Builder(List<String> command) {
            Objects.requireNonNull(command, "command");
            if (command.isEmpty() || command.get(0) == null || command.get(0).isBlank()) {
                throw new IllegalArgumentException("the command is empty");
            }
            command.forEach(a -> Objects.requireNonNull(a, "a command argument is null"));
            this.command = List.copyOf(command);
            if (!isPhpCgi(command.get(0)) && command.stream().noneMatch(a -> a.contains(SOCKET))) {
                throw new IllegalArgumentException("the command " + command + " must say where the program takes"
                        + " its listen address, with " + SOCKET + " (e.g. spawn-fcgi -n -s " + SOCKET
                        + " -- /path/to/app); only php-cgi gets -b " + SOCKET + " by itself");
            }
        }

        /**
         * Takes the child directives of a pool: {@code user}, {@code group}, {@code chdir}, {@code rlimit_files},
         * {@code rlimit_core}, {@code process.priority}, {@code env[]}, {@code clear_env},
         * {@code catch_workers_output}, {@code decorate_workers_output} and the {@code php_*} INI settings.
         */
        public Builder config(PoolConfig config) {
            poolName = config.name();
            user = config.user();
            group = config.group();
            chdir = config.chdir();
            rlimitFiles = config.rlimitFiles();
            rlimitCore = config.rlimitCore();
            processPriority = config.processPriority();
            env.clear();
            env.putAll(config.env());
            clearEnv = config.clearEnv();
            catchOutput = config.catchWorkersOutput();
            decorateOutput = config.decorateWorkersOutput();
            phpSettings.clear();
            config.phpSettings().forEach(s -> phpSettings.put(s.name(), s));
            return this;
        }

        /** {@code user}: the user (name or uid) children run as; required when the host runs as root. */
        public Builder user(String user) {
            this.user = user;
            return this;
        }

        /** {@code group}: the group (name or gid) children run as. Default: the user's primary group. */
        public Builder group(String group) {
            this.group = group;
            return this;
        }

        /** {@code env[name] = value}; a value {@code $VAR} is read from the host's environment at each start. */
        public Builder env(String name, String value) {
            env.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** {@code clear_env}: start children with no environment but {@code env[]}. Default: true, as FPM. */
        public Builder clearEnv(boolean clearEnv) {
            this.clearEnv = clearEnv;
            return this;
        }

        /** {@code php_value[name]}: passed to php-cgi as {@code -d name=value}. */
        public Builder phpValue(String name, String value) {
            phpSettings.put(name, new PhpIniSetting(name, value, false));
            return this;
        }

        /** {@code chdir}: the children's working directory. Default: the host's. */
        public Builder chdir(Path directory) {
            this.chdir = directory;
            return this;
        }

        /** {@code rlimit_files}: the children's open files limit (soft and hard), set with {@code prlimit}. */
        public Builder rlimitFiles(long limit) {
            this.rlimitFiles = limit;
            return this;
        }

        /** {@code rlimit_core}: the children's core size limit in bytes, -1 for unlimited, with {@code prlimit}. */
        public Builder rlimitCore(long limit) {
            this.rlimitCore = limit;
            return this;
        }

        /** {@code process.priority}: the children's nice value (-19 to 20), set with {@code nice}. */
        public Builder processPriority(int priority) {
            if (priority < -19 || priority > 20) {
                throw new IllegalArgumentException("process.priority must be included into [-19,20]");
            }
            this.processPriority = priority;
            return this;
        }

        /** {@code catch_workers_output}: log what children write to stdout and stderr. Default: false. */
        public Builder catchWorkersOutput(boolean catchOutput) {
            this.catchOutput = catchOutput;
            return this;
        }

        /** {@code decorate_workers_output}: prefix caught lines with the pool and the child. Default: true. */
        public Builder decorateWorkersOutput(boolean decorate) {
            this.decorateOutput = decorate;
            return this;
        }

        /** How long a child may take to accept its first connection. Default: 10 s. */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = positive("startTimeout", timeout);
            return this;
        }

        /** How long a child has to exit after SIGTERM before it gets SIGKILL. Default: 2 s. */
        public Builder stopGrace(Duration grace) {
            this.stopGrace = positive("stopGrace", grace);
            return this;
        }

        /** Where children listen. Default: {@link Socket#UNIX}. */
        public Builder socket(Socket socket) {
            this.socket = Objects.requireNonNull(socket, "socket");
            return this;
        }

        /** The parent of the private socket directory. Default: {@code java.io.tmpdir}. */
        public Builder runtimeDirectory(Path directory) {
            this.runtimeDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * The event loops for the connections to the children; passing the server's group saves a thread hop per
         * request. Default: shared daemon loops, half the cores (at least one).
         */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.loops = Objects.requireNonNull(group, "group");
            return this;
        }

        private static Duration positive(String name, Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
            }
            return value;
        }

        /**
         * Checks the settings against this host and builds the factory.
         *
         * @throws IllegalStateException with FPM's message when the host runs as root and no user (or root) is
         *                               given, when the user or group does not exist, or when a tool a setting
         *                               needs ({@code setpriv}, {@code prlimit}, {@code nice}) is missing
         */
        public ChildProcessWorkers build() {
            if (chdir != null && !Files.isDirectory(chdir)) {
                throw new IllegalStateException("[pool " + poolName + "] the chdir path '" + chdir
                        + "' does not exist or is not a directory");
            }
            Privileges privileges = Privileges.resolve(poolName, user, group);
            List<String> wrappers = new ArrayList<>();
            if (rlimitFiles != null || rlimitCore != null) {
                wrappers.add(SystemTools.require("prlimit", "rlimit_files / rlimit_core", "util-linux").toString());
                if (rlimitFiles != null) {
                    wrappers.add("--nofile=" + rlimitFiles + ":" + rlimitFiles);
                }
                if (rlimitCore != null) {
                    String core = rlimitCore < 0 ? "unlimited" : Long.toString(rlimitCore);
                    wrappers.add("--core=" + core + ":" + core);
                }
                wrappers.add("--");
            }
            if (processPriority != null) {
                wrappers.add(SystemTools.require("nice", "process.priority", "coreutils").toString());
                wrappers.add("-n");
                wrappers.add(Integer.toString(processPriority - SystemTools.currentNice()));
                wrappers.add("--");
            }
            wrappers.addAll(privileges.setprivArguments());
            return new ChildProcessWorkers(this, List.copyOf(wrappers), privileges);
        }
    }
}
