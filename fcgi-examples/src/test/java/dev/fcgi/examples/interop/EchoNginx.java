package dev.fcgi.examples.interop;

import dev.fcgi.protocol.testing.NginxProcess;

import java.util.List;

/** nginx settings shared by the interop tests of the echo example. */
final class EchoNginx {

    /**
     * Passes the query arguments {@code echo_sleep_ms}, {@code echo_stderr} and {@code echo_bytes} as the params
     * that steer the echo handler (only when given, so that ECHO_BYTES is absent otherwise).
     */
    static final List<String> ECHO_PARAMS = List.of(
            "fastcgi_param ECHO_SLEEP_MS $arg_echo_sleep_ms if_not_empty;",
            "fastcgi_param ECHO_STDERR $arg_echo_stderr if_not_empty;",
            "fastcgi_param ECHO_BYTES $arg_echo_bytes if_not_empty;");

    private EchoNginx() {
    }

    /** Adds {@link #ECHO_PARAMS} to {@code builder}. */
    static NginxProcess.Builder withEchoParams(NginxProcess.Builder builder) {
        for (String directive : ECHO_PARAMS) {
            builder.locationDirective(directive);
        }
        return builder;
    }

    /** The lines of nginx's error log at level error or worse ([error], [crit], [alert], [emerg]). */
    static List<String> errors(NginxProcess nginx) {
        return nginx.errorLog().lines()
                .filter(line -> line.contains("[error]") || line.contains("[crit]") || line.contains("[alert]")
                        || line.contains("[emerg]"))
                .toList();
    }
}
