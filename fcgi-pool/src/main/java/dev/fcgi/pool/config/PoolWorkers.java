package dev.fcgi.pool.config;

import dev.fcgi.pool.WorkerFactory;
import dev.fcgi.pool.process.ChildProcessWorkers;
import dev.fcgi.protocol.server.FcgiHandler;

import java.io.File;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@link WorkerFactory} of an {@link FpmPool}: a new instance of its handler class per worker, or its command's
 * child processes. Creating one checks everything a start needs and has no side effect (no handler is
 * instantiated, no process started, no directory created), so {@code php-fpm -t} uses it as the check.
 */
final class PoolWorkers {

    private PoolWorkers() {
    }

    /**
     * The factory for {@code pool}.
     *
     * @throws FpmConfigException {@code [pool www] ...}: the handler class is missing, not a public
     *                            {@link FcgiHandler} class with a public no-argument constructor; the command's
     *                            program is not executable; or the child settings do not fit this host (user,
     *                            group, tools: {@link ChildProcessWorkers.Builder#build()})
     */
    static WorkerFactory create(FpmPool pool, ClassLoader loader) throws FpmConfigException {
        return pool.isHandlerPool() ? handlers(pool, loader) : children(pool);
    }

    private static WorkerFactory handlers(FpmPool pool, ClassLoader loader) throws FpmConfigException {
        Constructor<? extends FcgiHandler> constructor = constructor(pool, loader);
        String what = "[pool " + pool.name() + "] handler " + pool.handlerClass();
        return WorkerFactory.ofHandler(() -> {
            try {
                return constructor.newInstance();
            } catch (InvocationTargetException e) {
                throw new IllegalStateException(what + ": its constructor failed: " + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(what + ": " + e, e);
            }
        });
    }

    private static Constructor<? extends FcgiHandler> constructor(FpmPool pool, ClassLoader loader)
            throws FpmConfigException {
        String name = pool.handlerClass();
        String what = "[pool " + pool.name() + "] handler class '" + name + "'";
        Class<?> type;
        try {
            type = Class.forName(name, false, loader);
        } catch (ClassNotFoundException e) {
            throw new FpmConfigException(what + " not found", e);
        } catch (LinkageError e) {
            throw new FpmConfigException(what + " could not be loaded: " + e, e);
        }
        if (!FcgiHandler.class.isAssignableFrom(type)) {
            throw new FpmConfigException(what + " does not implement " + FcgiHandler.class.getName());
        }
        if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
            throw new FpmConfigException(what + " is abstract or an interface: it cannot be instantiated");
        }
        if (!Modifier.isPublic(type.getModifiers())) {
            throw new FpmConfigException(what + " is not public");
        }
        try {
            return type.asSubclass(FcgiHandler.class).getConstructor();
        } catch (NoSuchMethodException e) {
            throw new FpmConfigException(what + " has no public no-argument constructor", e);
        } catch (LinkageError | SecurityException e) {
            throw new FpmConfigException(what + " could not be loaded: " + e, e);
        }
    }

    private static WorkerFactory children(FpmPool pool) throws FpmConfigException {
        String prefix = "[pool " + pool.name() + "] ";
        ChildProcessWorkers.Builder builder;
        try {
            builder = ChildProcessWorkers.builder(pool.command());
        } catch (IllegalArgumentException e) {
            throw new FpmConfigException(prefix + "command: " + e.getMessage(), e);
        }
        String program = pool.command().get(0);
        if (!executable(program)) {
            throw new FpmConfigException(prefix + "the command '" + program + "' is not an executable file"
                    + (program.contains("/") ? "" : " on the PATH"));
        }
        try {
            return builder.config(pool.config()).build();
        } catch (IllegalStateException | IllegalArgumentException e) {
            String message = e.getMessage();
            throw new FpmConfigException(message != null && message.startsWith("[pool ") ? message
                    : prefix + message, e);
        }
    }

    private static boolean executable(String program) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            return Files.isRegularFile(p) && Files.isExecutable(p);
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, program);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return true;
                }
            }
        }
        return false;
    }
}
