package dev.fcgi.protocol.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The client's connections and the requests waiting for one. Each connection takes up to its capacity of
 * requests at once (1 without multiplexing); a request that finds no room opens a new connection while there are
 * fewer than {@code maxConnections}, and otherwise waits, first come first served, until a request ends or a
 * connection closes (or its request timeout fires). Every decision is made under one lock, and the I/O it implies
 * (connect, start a request on a connection's event loop) runs after the lock is released.
 */
final class ConnectionPool {

    private static final Logger log = LoggerFactory.getLogger(ConnectionPool.class);

    private final FcgiClient client;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<ClientConnection> connections = new ArrayList<>();
    private final ArrayDeque<Exchange> waiters = new ArrayDeque<>();
    private int capacity = 1;
    private int maxConnections;
    private int dialled;
    private boolean closed;

    ConnectionPool(FcgiClient client, int capacity, int maxConnections) {
        this.client = client;
        this.capacity = capacity;
        this.maxConnections = maxConnections;
    }

    /** Sets how many requests a new connection takes and how many connections there may be. */
    void configure(int capacity, int maxConnections) {
        List<Runnable> actions = new ArrayList<>();
        lock.lock();
        try {
            this.capacity = capacity;
            this.maxConnections = maxConnections;
            dispatch(actions);
        } finally {
            lock.unlock();
        }
        actions.forEach(Runnable::run);
    }

    /** The application answered FCGI_CANT_MPX_CONN: one request at a time on this and new connections. */
    void cannotMultiplex(ClientConnection connection) {
        lock.lock();
        try {
            if (capacity > 1) {
                log.info("{} refused a multiplexed request (FCGI_CANT_MPX_CONN): one request per connection from now on",
                        client.address);
            }
            capacity = 1;
            connection.capacity = 1;
        } finally {
            lock.unlock();
        }
    }

    /** The application refused a request on {@code connection}: no new request goes there. */
    void retire(ClientConnection connection) {
        lock.lock();
        try {
            connection.retired = true;
        } finally {
            lock.unlock();
        }
    }

    /** Binds the exchange to a connection with room, opening one if allowed, or queues it. */
    void acquire(Exchange ex) {
        List<Runnable> actions = new ArrayList<>(2);
        Throwable failure = null;
        lock.lock();
        try {
            if (closed) {
                failure = new FcgiClientException("client closed");
            } else if (ex.interruptCause() != null) {
                failure = ex.interruptCause();
            } else if (!assign(ex, actions)) {
                waiters.add(ex);
                ex.phase = "waiting for a connection (all " + connections.size() + " busy, maxConnections "
                        + maxConnections + ", " + waiters.size() + " waiting)";
            }
        } finally {
            lock.unlock();
        }
        if (failure != null) {
            ex.fail(failure);
        }
        actions.forEach(Runnable::run);
    }

    /** Binds again an exchange whose connection closed before it could start (nothing was sent). */
    void rebind(Exchange ex) {
        lock.lock();
        try {
            ex.connection = null;
        } finally {
            lock.unlock();
        }
        acquire(ex);
    }

    /** The connection the exchange is bound to, or null after removing it from the waiters. */
    ClientConnection boundConnection(Exchange ex) {
        lock.lock();
        try {
            if (ex.connection == null) {
                waiters.remove(ex);
            }
            return ex.connection;
        } finally {
            lock.unlock();
        }
    }

    /** A request on {@code connection} is over; when {@code reusable}, its slot is free for another. */
    void release(ClientConnection connection, Exchange ex, boolean reusable) {
        List<Runnable> actions = new ArrayList<>(2);
        lock.lock();
        try {
            connection.inFlight--;
            if (ex.connection == connection) {
                ex.connection = null;
            }
            if (!reusable) {
                connection.retired = true;
            }
            dispatch(actions);
        } finally {
            lock.unlock();
        }
        actions.forEach(Runnable::run);
    }

    /** The connection closed (or never opened); {@code retries} are sent again on other connections. */
    void removed(ClientConnection connection, List<Exchange> retries) {
        List<Runnable> actions = new ArrayList<>(2);
        lock.lock();
        try {
            connection.dead = true;
            connections.remove(connection);
            for (Exchange ex : retries) {
                if (ex.connection == connection) {
                    ex.connection = null;
                }
            }
            dispatch(actions);
        } finally {
            lock.unlock();
        }
        actions.forEach(Runnable::run);
        for (Exchange ex : retries) {
            acquire(ex);
        }
    }

    /** Closes every connection and fails the waiting requests. */
    List<ChannelFuture> close() {
        List<ClientConnection> open;
        List<Exchange> waiting;
        lock.lock();
        try {
            closed = true;
            open = new ArrayList<>(connections);
            waiting = new ArrayList<>(waiters);
            waiters.clear();
        } finally {
            lock.unlock();
        }
        for (Exchange ex : waiting) {
            ex.fail(new FcgiClientException("client closed"));
        }
        List<ChannelFuture> closing = new ArrayList<>();
        for (ClientConnection connection : open) {
            connection.eventLoop.execute(connection::closeByClient);
            Channel ch = connection.channel();
            if (ch != null) {
                closing.add(ch.closeFuture());
            }
        }
        return closing;
    }

    // Under the lock.
    private void dispatch(List<Runnable> actions) {
        while (!waiters.isEmpty()) {
            Exchange ex = waiters.peek();
            if (ex.interruptCause() != null) {
                waiters.poll();
                continue;
            }
            if (!assign(ex, actions)) {
                return;
            }
            waiters.poll();
        }
    }

    // Under the lock.
    private boolean assign(Exchange ex, List<Runnable> actions) {
        ClientConnection chosen = null;
        if (client.keepConn) {
            for (ClientConnection c : connections) {
                if (c.acceptsMore()) {
                    chosen = c;
                    break;
                }
            }
        }
        if (chosen == null && connections.size() < maxConnections) {
            ClientConnection c = new ClientConnection(client, this, client.group.next(),
                    client.keepConn ? capacity : 1, ++dialled);
            connections.add(c);
            actions.add(c::connect);
            chosen = c;
        }
        if (chosen == null) {
            return false;
        }
        chosen.inFlight++;
        if (!client.keepConn) {
            chosen.retired = true;
        }
        ex.connection = chosen;
        ClientConnection c = chosen;
        actions.add(() -> {
            try {
                c.eventLoop.execute(() -> c.start(ex));
            } catch (RejectedExecutionException e) {
                ex.fail(new FcgiClientException("client closed", e));
            }
        });
        return true;
    }

    // ---- for tests and messages -----------------------------------------------------------------------------------

    /** Connections open or opening. */
    int connectionCount() {
        lock.lock();
        try {
            return connections.size();
        } finally {
            lock.unlock();
        }
    }

    /** Connections opened since the client started. */
    int dialledCount() {
        lock.lock();
        try {
            return dialled;
        } finally {
            lock.unlock();
        }
    }

    int waiting() {
        lock.lock();
        try {
            return waiters.size();
        } finally {
            lock.unlock();
        }
    }

    int capacity() {
        lock.lock();
        try {
            return capacity;
        } finally {
            lock.unlock();
        }
    }

    List<ClientConnection> connections() {
        lock.lock();
        try {
            return new ArrayList<>(connections);
        } finally {
            lock.unlock();
        }
    }
}
