package dev.fcgi.benchmarks.load;

import dev.fcgi.benchmarks.Durations;
import dev.fcgi.protocol.FcgiConstants;
import dev.fcgi.protocol.client.FcgiClient;
import dev.fcgi.protocol.client.FcgiConnectException;
import dev.fcgi.protocol.client.Multiplexing;
import io.netty.channel.EventLoopGroup;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the backend says of itself in answer to GET_VALUES ({@code FCGI_MPXS_CONNS}, {@code FCGI_MAX_REQS},
 * {@code FCGI_MAX_CONNS}), asked once before a run on a connection of its own. The question doubles as the check
 * that the backend can be reached at all.
 *
 * @param values the variables the backend answered (empty when it did not answer)
 * @param note   why there are no values ("" when there are)
 * @see <a href="https://fastcgi-archives.github.io/FastCGI_Specification.html#S4.1">FastCGI 1.0, section 4.1</a>
 */
record BackendInfo(Map<String, String> values, String note) {

    /** How long to wait for the answer: backends that ignore GET_VALUES are not waited for long. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(3);

    /**
     * Asks the backend at {@code address}.
     *
     * @throws FcgiConnectException when it cannot be reached
     */
    static BackendInfo probe(SocketAddress address, EventLoopGroup group, Duration timeout)
            throws FcgiConnectException, InterruptedException {
        Duration wait = timeout.compareTo(ANSWER_TIMEOUT) < 0 ? timeout : ANSWER_TIMEOUT;
        try (FcgiClient client = FcgiClient.builder().address(address).eventLoopGroup(group).maxConnections(1)
                .keepConn(false).multiplexing(Multiplexing.OFF).connectTimeout(wait).requestTimeout(wait)
                .callbackExecutor(Runnable::run).build()) {
            Map<String, String> values = client.getValues(FcgiConstants.MPXS_CONNS, FcgiConstants.MAX_REQS,
                    FcgiConstants.MAX_CONNS).get(wait.toNanos() + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
            return new BackendInfo(Map.copyOf(values), values.isEmpty() ? "answered GET_VALUES with no values" : "");
        } catch (ExecutionException e) {
            if (ErrorKind.unwrap(e) instanceof FcgiConnectException connect) {
                throw connect;
            }
            return new BackendInfo(Map.of(), "did not answer GET_VALUES (" + ErrorKind.unwrap(e).getMessage() + ")");
        } catch (TimeoutException e) {
            return new BackendInfo(Map.of(), "did not answer GET_VALUES within " + Durations.text(wait));
        }
    }

    /** Whether the backend runs several requests at once on a connection ({@code FCGI_MPXS_CONNS=1}). */
    boolean multiplexes() {
        return "1".equals(values.getOrDefault(FcgiConstants.MPXS_CONNS, "0").strip());
    }

    /** {@code FCGI_MAX_REQS}, or 0 when not given. */
    int maxRequests() {
        try {
            return Math.max(0, Integer.parseInt(values.getOrDefault(FcgiConstants.MAX_REQS, "0").strip()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** One line for the operator: {@code FCGI_MPXS_CONNS=0 FCGI_MAX_CONNS=8 FCGI_MAX_REQS=8}. */
    String describe() {
        if (values.isEmpty()) {
            return note;
        }
        StringBuilder s = new StringBuilder();
        for (String name : new String[] {FcgiConstants.MPXS_CONNS, FcgiConstants.MAX_CONNS, FcgiConstants.MAX_REQS}) {
            if (values.containsKey(name)) {
                s.append(s.isEmpty() ? "" : " ").append(name).append('=').append(values.get(name));
            }
        }
        return s.toString();
    }
}
