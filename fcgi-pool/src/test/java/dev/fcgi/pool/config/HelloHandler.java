package dev.fcgi.pool.config;

import dev.fcgi.protocol.server.FcgiHandler;
import dev.fcgi.protocol.server.FcgiRequest;
import dev.fcgi.protocol.server.FcgiResponse;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** A handler named in test configurations ({@code handler = dev.fcgi.pool.config.HelloHandler}). */
public class HelloHandler implements FcgiHandler {

    /** Instances created, to see that each worker gets its own. */
    static final AtomicInteger INSTANCES = new AtomicInteger();

    private final int id = INSTANCES.incrementAndGet();

    /** Needed by the pool: public, no arguments. */
    public HelloHandler() {
    }

    @Override
    public void handle(FcgiRequest request, FcgiResponse response) throws Exception {
        response.body().write(("hello from handler " + id).getBytes(StandardCharsets.UTF_8));
    }
}
