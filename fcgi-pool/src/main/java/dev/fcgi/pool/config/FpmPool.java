package dev.fcgi.pool.config;

import dev.fcgi.pool.PoolConfig;

import java.util.List;
import java.util.Objects;

/**
 * One pool section of php-fpm.conf: its validated directives and what its workers run, an in-JVM handler class or a
 * command (child processes). Exactly one of {@link #handlerClass()} and {@link #command()} is set.
 *
 * @param config       the pool's directives, validated by {@link PoolConfig.Builder#build()}
 * @param handlerClass {@code handler}: the fully qualified name of a class implementing
 *                     {@link dev.fcgi.protocol.server.FcgiHandler}, or {@code null} for a pool of child processes
 * @param command      {@code command}: the program and its arguments, or empty for a handler pool
 * @param notices      this pool's notices and warnings: FPM's ({@code pm.start_servers is not set...}), directives
 *                     we do not support, and those that do not apply to a handler pool
 */
public record FpmPool(PoolConfig config, String handlerClass, List<String> command, List<String> notices) {

    /** Checks that exactly one of the handler and the command is given; copies the lists. */
    public FpmPool {
        Objects.requireNonNull(config, "config");
        command = List.copyOf(command);
        notices = List.copyOf(notices);
        if ((handlerClass == null) == command.isEmpty()) {
            throw new IllegalArgumentException("[pool " + config.name() + "] exactly one of handler and command");
        }
    }

    /** The pool name, its section's {@code [name]}. */
    public String name() {
        return config.name();
    }

    /** Whether the workers are instances of {@link #handlerClass()} in the JVM (else child processes). */
    public boolean isHandlerPool() {
        return handlerClass != null;
    }

    /** The pool in php-fpm.conf form, like {@code php-fpm -tt}, with its {@code handler} or {@code command}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(config.toString());
        if (handlerClass != null) {
            s.append("\thandler = ").append(handlerClass).append('\n');
        } else {
            s.append("\tcommand =");
            for (String word : command) {
                s.append(' ').append(word.isEmpty() || word.matches(".*[\\s'\"\\\\;$].*")
                        ? "'" + word.replace("'", "'\\''") + "'" : word);
            }
            s.append('\n');
        }
        return s.toString();
    }
}
