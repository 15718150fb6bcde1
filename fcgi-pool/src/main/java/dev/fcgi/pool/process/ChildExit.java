package dev.fcgi.pool.process;

/**
 * How a child process ended, in FPM's words: {@code with code 0}, or {@code on signal 9 (SIGKILL)}. The JDK
 * reports a death by signal N as exit value 128 + N, so a program that calls {@code exit(137)} reads as SIGKILL.
 */
final class ChildExit {

    private static final String[] SIGNALS = {null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
        "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
        "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM",
        "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};

    private ChildExit() {
    }

    /** {@code with code N} or {@code on signal N (NAME)} for the JDK's exit value. */
    static String describe(int exitValue) {
        int signal = signal(exitValue);
        if (signal > 0) {
            String name = signal < SIGNALS.length ? SIGNALS[signal]
                    : signal >= 34 ? "SIGRTMIN+" + (signal - 34) : "SIG" + signal;
            return "on signal " + signal + " (" + name + ")";
        }
        return "with code " + exitValue;
    }

    /** The signal that ended the process, or 0 when it exited by itself. */
    static int signal(int exitValue) {
        return exitValue > 128 && exitValue <= 128 + 64 ? exitValue - 128 : 0;
    }

    /**
     * Whether the end counts as a failure: anything but exit code 0 or the signals the pool itself sends to stop a
     * child (SIGTERM, SIGQUIT), as FPM warns about every other exit.
     */
    static boolean isFailure(int exitValue) {
        int signal = signal(exitValue);
        return signal == 0 ? exitValue != 0 : signal != 15 && signal != 3;
    }
}
