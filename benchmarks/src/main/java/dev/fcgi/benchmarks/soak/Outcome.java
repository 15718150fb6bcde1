package dev.fcgi.benchmarks.soak;

/**
 * How one call ended, as the driver saw it.
 *
 * @param type   what happened
 * @param reason for a failure: its class, the same for every failure of that kind ({@code HTTP 502},
 *               {@code body damaged}), which the report counts
 * @param detail for a failure: this one's particulars (ids, lengths, the exception's message)
 */
record Outcome(Type type, String reason, String detail) {

    /** What happened to a call. */
    enum Type {
        /** A complete answer that passed every check. */
        OK,
        /** Ended on purpose by the driver. */
        ABORTED,
        /**
         * No answer, in a form a stopping server gives: nginx's 502 or 503 without a soak header, FCGI_OVERLOADED, a
         * refused connection, a connection closed before any record of the answer. Accepted during a graceful stop
         * (the handler's totals then show whether a handler ran it), an error at any other time.
         */
        REFUSAL,
        /** Anything else: an error. */
        FAILED
    }

    static final Outcome OK = new Outcome(Type.OK, "", "");
    static final Outcome ABORTED = new Outcome(Type.ABORTED, "", "");

    static Outcome failed(String reason, String detail) {
        return new Outcome(Type.FAILED, reason, detail);
    }

    static Outcome refusal(String reason, String detail) {
        return new Outcome(Type.REFUSAL, reason, detail);
    }

    /** A failure from an exception: its class and message, with numbers taken out of the reason. */
    static Outcome failed(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        return failed(e.getClass().getName() + ": " + message.replaceAll("\\d+", "N"), message);
    }
}
