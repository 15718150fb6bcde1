# Helpers shared by the benchmark scripts; sourced, not run. The sourcing script sets SCRIPT (its name, for
# messages) first, and PIDS=() if it uses stop_pid.

java_major() {  # java binary -> its major version
    "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
}

find_java() {   # sets JAVA to a JDK 21+: $JAVA, $JAVA_HOME, the newest under /usr/lib/jvm, or java; else exits
    local candidate
    if [[ -z "${JAVA:-}" ]]; then
        for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -rV) java; do
            if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null \
                    && (($(java_major "$candidate" || true) + 0 >= 21)); then
                JAVA=$candidate
                break
            fi
        done
    fi
    [[ -n "${JAVA:-}" ]] || { echo "$SCRIPT: no JDK 21+ found; set JAVA=/path/to/bin/java" >&2; exit 1; }
}

port_open() {   # port -> whether something accepts on 127.0.0.1:port
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

USED_PORTS=" "
read -r EPHEMERAL_LOW _ < /proc/sys/net/ipv4/ip_local_port_range
free_port() {   # a port outside the ephemeral range that no TCP socket uses, and not handed out before
    local port low=10000 high=$((EPHEMERAL_LOW - 1))
    ((high - low >= 1000)) || { low=$((EPHEMERAL_LOW > 61000 ? 1024 : 61000)); high=$((low + 4000)); }
    for _ in $(seq 1 100); do
        port=$((low + RANDOM % (high - low + 1)))
        if [[ "$USED_PORTS" != *" $port "* ]] && ! port_open "$port" \
                && [[ -z "$(ss -Htan "( sport = :$port )" 2>/dev/null)" ]]; then
            USED_PORTS+="$port "
            echo "$port"
            return
        fi
    done
    echo "$SCRIPT: no free port found" >&2
    return 1
}

await_port() {  # name pid port: up to 60 s for the port to accept while the process runs
    for _ in $(seq 1 600); do
        kill -0 "$2" 2>/dev/null || { echo "$SCRIPT: $1 exited before it listened" >&2; return 1; }
        port_open "$3" && return 0
        sleep 0.1
    done
    echo "$SCRIPT: $1 does not listen on 127.0.0.1:$3 after 60 s" >&2
    return 1
}

stop_pid() {    # pid: TERM, up to 15 s (a JVM stops its pool gracefully), then KILL; then forgotten from PIDS
    local pid=$1 kept=() p
    if kill -TERM "$pid" 2>/dev/null; then
        for _ in $(seq 1 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    for p in "${PIDS[@]}"; do
        [[ "$p" == "$pid" ]] || kept+=("$p")
    done
    PIDS=("${kept[@]}")          # a reused PID is never signalled
}
