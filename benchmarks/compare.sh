#!/usr/bin/env bash
# The side-by-side load comparison of issue 6: one nginx (1 worker) in front of every backend, the same hello
# answer from each, interleaved rounds (A B C ... A B C ...) so that drift cancels, and a markdown table of the
# medians, printed and written to benchmarks/results/compare.md.
#
#   benchmarks/compare.sh [--rounds 2] [--duration 5] [--warmup 3] [--connections "16 256"]
#                         [--transports "tcp unix"] [--keep-conn "on off"] [--backends "NAME ..."]
#                         [--no-direct] [--output FILE]
#
# Backends (all by default): nginx-return (nginx's own `return 200`: the front's ceiling), php-fpm-2 and
# php-fpm-8 (php-fpm 8.2, pm static, hello.php with opcache), go (net/http/fcgi), jetty (Jetty 12 fcgi-server),
# ours-vt (the hello example: a virtual thread per request), ours-pool (hello in an FcgiPool, pm static, 8 worker
# threads), ours-loop (hello on the event loop), ours-php-2 (our FcgiPool of 2 php-cgi children, hello.php).
# For each transport (TCP on 127.0.0.1, Unix sockets), nginx reaches each backend with fastcgi_keep_conn on
# (upstream keepalive 16) and off; wrk -t1 runs against nginx at each connection count. Unless --no-direct, our
# load generator (fcgi-load.jar) then runs straight to each backend (16 connections, keep-conn on and off).
# Reported per cell: req/s, p50 and p99 latency, errors (non-2xx, socket errors and timeouts of 2 s), the
# backend's CPU per request (user + system time of its processes over the round, /proc) and its resident memory
# after the transport's rounds.
#
# Defaults take about 25 minutes. Needs nginx, php-fpm8.2, php-cgi, go (apt-get install golang-go), wrk,
# python3 and a JDK 21+ (JAVA=/path/to/java, else the newest under /usr/lib/jvm); builds the jars and the Go
# peer when missing. Only loopback and Unix sockets are used; every process the script starts is stopped by its
# PID when it exits; each run is bounded by --duration.
set -euo pipefail

ROUNDS=2
DURATION=5
WARMUP=3
CONNECTIONS="16 256"
TRANSPORTS="tcp unix"
KEEP_CONN="on off"
ALL_BACKENDS="nginx-return php-fpm-2 php-fpm-8 go jetty ours-vt ours-pool ours-loop ours-php-2"
BACKENDS=$ALL_BACKENDS
DIRECT=1
COMMAND_LINE="benchmarks/compare.sh${*:+ $*}"

usage() {
    sed -n '/^#   benchmarks/,/--output FILE\]$/p' "$0" | sed 's/^# //' >&2
    exit "${1:-2}"
}
number() {
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "compare: $1 expects a positive number, not '$2'" >&2; usage; }
    echo "$2"
}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT=compare
# shellcheck source=lib.sh
source "$ROOT/benchmarks/lib.sh"
OUTPUT="$ROOT/benchmarks/results/compare.md"
while (($#)); do
    case "$1" in
        --rounds) ROUNDS=$(number "$1" "${2-}"); shift 2 ;;
        --duration) DURATION=$(number "$1" "${2-}"); shift 2 ;;
        --warmup) WARMUP=$(number "$1" "${2-}"); shift 2 ;;
        --connections) CONNECTIONS=${2-}; shift 2 ;;
        --transports) TRANSPORTS=${2-}; shift 2 ;;
        --keep-conn) KEEP_CONN=${2-}; shift 2 ;;
        --backends) BACKENDS=${2-}; shift 2 ;;
        --no-direct) DIRECT=0; shift ;;
        --output) OUTPUT=${2-}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) echo "compare: unknown option $1" >&2; usage ;;
    esac
done
for c in $CONNECTIONS; do number --connections "$c" > /dev/null; done
for t in $TRANSPORTS; do [[ "$t" == tcp || "$t" == unix ]] || { echo "compare: transport $t (tcp, unix)" >&2; exit 2; }; done
for k in $KEEP_CONN; do [[ "$k" == on || "$k" == off ]] || { echo "compare: keep-conn $k (on, off)" >&2; exit 2; }; done
for b in $BACKENDS; do
    [[ " $ALL_BACKENDS " == *" $b "* ]] || { echo "compare: unknown backend $b ($ALL_BACKENDS)" >&2; exit 2; }
done
((ROUNDS * DURATION <= 60)) || { echo "compare: rounds x duration is capped at 60 s per cell" >&2; exit 2; }

JAR="$ROOT/fcgi-examples/target/fcgi-examples.jar"
BENCH_JAR="$ROOT/benchmarks/target/benchmarks.jar"
LOAD_JAR="$ROOT/benchmarks/target/fcgi-load.jar"
GO_HELLO="$ROOT/benchmarks/target/peers/go-fcgi-hello"
PHP_FPM=${PHP_FPM:-php-fpm8.2}
PHP_CGI=${PHP_CGI:-/usr/bin/php-cgi}
NGINX=${NGINX:-nginx}
KEEPALIVE=16

for tool in "$NGINX" "$PHP_FPM" "$PHP_CGI" wrk python3 curl; do
    command -v "$tool" >/dev/null || { echo "compare: $tool is not installed" >&2; exit 1; }
done
find_java
if [[ ! -f "$JAR" || ! -f "$BENCH_JAR" || ! -f "$LOAD_JAR" ]]; then
    echo "+ (cd $ROOT && mvn -B -q -o package -DskipTests -pl fcgi-examples,benchmarks -am)"
    (cd "$ROOT" && mvn -B -q -o package -DskipTests -pl fcgi-examples,benchmarks -am)
fi
if [[ " $BACKENDS " == *" go "* && ! -x "$GO_HELLO" ]]; then
    "$ROOT/benchmarks/peers/build-peers.sh"
fi

# ---- processes, stopped by PID on exit
TMP=$(mktemp -d /tmp/fcgi-compare.XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() {
    local status=$?
    while ((${#PIDS[@]})); do
        stop_pid "${PIDS[-1]}"         # the last started first
    done
    if ((status != 0)); then
        for log in "$TMP"/*.log; do
            [[ -f "$log" ]] && { echo "---- $log" >&2; tail -n 20 "$log" >&2; }
        done
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

address_ready() {   # address: host:port or unix:/path accepts
    if [[ "$1" == unix:* ]]; then
        python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(1); s.connect(sys.argv[1])' \
            "${1#unix:}" 2>/dev/null
    else
        port_open "${1##*:}"
    fi
}
await_address() {   # name pid address: up to 60 s
    for _ in $(seq 1 600); do
        kill -0 "$2" 2>/dev/null || { echo "compare: $1 exited before it listened on $3" >&2; return 1; }
        address_ready "$3" && return 0
        sleep 0.1
    done
    echo "compare: $1 does not listen on $3 after 60 s" >&2
    return 1
}
tree_pids() {       # pid -> it and its children, one per line
    echo "$1"
    ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true
}
cpu_ticks() {       # pid -> user+system ticks of it and its children
    local all=0 p t fields
    for p in $(tree_pids "$1"); do
        fields=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
        read -r -a t <<< "$fields"
        all=$((all + t[11] + t[12]))
    done
    echo "$all"
}
rss_mb() {          # pid -> resident MB of it and its children
    ps -o rss= -p "$(tree_pids "$1" | paste -sd, -)" 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s / 1024 }' \
        || echo "?"
}
HZ=$(getconf CLK_TCK)

# ---- what every backend serves
mkdir -m 755 "$TMP/www"
printf '<?php header("Content-Type: text/plain"); echo "Hello, World!\\n";\n' > "$TMP/www/hello.php"
chmod 644 "$TMP/www/hello.php"
USER_LINE=""
CHILD_USER=()
if ((EUID == 0)); then
    USER_LINE="user = nobody"
    CHILD_USER=(--user nobody)
fi
JVM=("$JAVA" -Xms256m -Xmx1g -XX:+UseParallelGC -Dio.netty.leakDetection.level=disabled)

address_for() {     # backend transport -> the address it listens on
    if [[ "$2" == unix ]]; then echo "unix:$TMP/$1.sock"; else echo "127.0.0.1:$(free_port)"; fi
}
start_backend() {   # backend address -> starts it; sets STARTED_PID
    local b=$1 address=$2 fpm_listen=${2#unix:}
    case "$b" in
        php-fpm-2|php-fpm-8)
            cat > "$TMP/$b.conf" <<EOF
[global]
pid = $TMP/$b.pid
error_log = $TMP/$b-error.log
daemonize = no
[www]
$USER_LINE
listen = $fpm_listen
listen.mode = 0666
pm = static
pm.max_children = ${b#php-fpm-}
pm.max_requests = 0
EOF
            "$PHP_FPM" --nodaemonize --fpm-config "$TMP/$b.conf" -d opcache.enable=1 > "$TMP/$b.log" 2>&1 & ;;
        go) "$GO_HELLO" --listen "$address" > "$TMP/$b.log" 2>&1 & ;;
        jetty) "${JVM[@]}" -cp "$BENCH_JAR" dev.fcgi.benchmarks.peers.JettyFcgiHello --listen "$address" \
                > "$TMP/$b.log" 2>&1 & ;;
        ours-vt) "${JVM[@]}" -jar "$JAR" hello --listen "$address" > "$TMP/$b.log" 2>&1 & ;;
        ours-pool) "${JVM[@]}" -jar "$JAR" hello --listen "$address" --pm static --max-children 8 \
                > "$TMP/$b.log" 2>&1 & ;;
        ours-loop) "${JVM[@]}" -jar "$JAR" hello --listen "$address" --event-loop > "$TMP/$b.log" 2>&1 & ;;
        ours-php-2) "${JVM[@]}" -jar "$JAR" php --listen "$address" --pm static --max-children 2 \
                --command "$PHP_CGI" "${CHILD_USER[@]}" --php-value opcache.enable=1 > "$TMP/$b.log" 2>&1 & ;;
    esac
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
}

# ---- nginx: per backend a keep-conn location (upstream keepalive 16) and a closing one
nginx_conf() {      # port -> nginx.conf for the backends in ADDRESS[]
    local b upstream
    cat <<EOF
worker_processes 1;
worker_rlimit_nofile 16384;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events {
    worker_connections 8192;
}
http {
    access_log off;
    client_body_temp_path $TMP/client_body;
    fastcgi_temp_path $TMP/fastcgi;
    proxy_temp_path $TMP/proxy;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    fastcgi_read_timeout 10s;
EOF
    for b in "${!ADDRESS[@]}"; do
        upstream=${ADDRESS[$b]}           # host:port or unix:/path, as nginx's server directive takes it
        cat <<EOF
    upstream ${b//-/_}_on {
        server $upstream;
        keepalive $KEEPALIVE;
    }
    upstream ${b//-/_}_off {
        server $upstream;
    }
EOF
    done
    cat <<EOF
    server {
        listen 127.0.0.1:$1 backlog=4096;
        root $TMP/www;
        location = /nginx-return/hello.php {
            default_type text/plain;
            return 200 "Hello, World!\n";
        }
EOF
    for b in "${!ADDRESS[@]}"; do
        for k in on off; do
            cat <<EOF
        location = /$b/$k/hello.php {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root/hello.php;
            fastcgi_param SCRIPT_NAME /hello.php;
            fastcgi_pass ${b//-/_}_$k;
            fastcgi_keep_conn $k;
        }
EOF
        done
    done
    echo "    }"
    echo "}"
}

to_us() {           # wrk's 850.00us / 3.21ms / 1.02s -> microseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        f = (u == "us") ? 1 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : (u == "m") ? 60000000 : -1
        if (f < 0) { print "-1"; exit } printf "%.0f", n * f }'
}
RESULTS="$TMP/results.tsv"     # via transport keep conns backend round rps p50 p99 errors cpu_us nginx_cpu_us
: > "$RESULTS"
measure_wrk() {     # url seconds pid [nginx-pid] -> MEASURED (rps p50 p99 errors cpu_us nginx_cpu_us)
    local out cpu0 cpu1 n0 n1 n rps p50 p99 errors cpu ncpu
    cpu0=$([[ -n "$3" ]] && cpu_ticks "$3" || echo 0)
    n0=$([[ -n "${4:-}" ]] && cpu_ticks "$4" || echo 0)
    out=$(wrk -t1 -c"$C" -d"${2}s" --timeout 2s --latency "$1" 2>&1 || true)
    cpu1=$([[ -n "$3" ]] && cpu_ticks "$3" || echo 0)
    n1=$([[ -n "${4:-}" ]] && cpu_ticks "$4" || echo 0)
    echo "$out" >> "$TMP/wrk.txt"
    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<< "$out")
    p50=$(to_us "$(awk '$1 == "50%" { print $2 }' <<< "$out")")
    p99=$(to_us "$(awk '$1 == "99%" { print $2 }' <<< "$out")")
    n=$(awk '/requests in/ { print $1 }' <<< "$out")
    errors=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' \
        <<< "$out")
    cpu=$(awk -v d=$((cpu1 - cpu0)) -v hz="$HZ" -v n="${n:-0}" 'BEGIN { printf "%.1f", (n > 0 ? d * 1e6 / hz / n : 0) }')
    ncpu=$(awk -v d=$((n1 - n0)) -v hz="$HZ" -v n="${n:-0}" 'BEGIN { printf "%.1f", (n > 0 ? d * 1e6 / hz / n : 0) }')
    MEASURED="${rps:-0} ${p50:--1} ${p99:--1} $errors $cpu $ncpu"
}
measure_direct() {  # address keep seconds pid -> MEASURED, from fcgi-load's JSON
    local out cpu0 cpu1
    cpu0=$(cpu_ticks "$4")
    out=$("$JAVA" -jar "$LOAD_JAR" --json -c 16 -t 1 --warmup 2s -d "${3}s" --keep-conn "$2" --timeout 2s \
        --uri /hello.php --document-root "$TMP/www" "$1" 2>>"$TMP/fcgi-load.log" || true)
    cpu1=$(cpu_ticks "$4")
    echo "$out" >> "$TMP/fcgi-load.json"
    MEASURED=$(python3 -c '
import json, sys
cpu_ticks, hz = int(sys.argv[1]), int(sys.argv[2])
try:
    r = json.loads(sys.stdin.read().strip().splitlines()[-1])
except Exception:
    print("0 -1 -1 1 0 0"); sys.exit()
n = r.get("responses", 0) + r.get("errors_total", 0)
errors = r.get("errors_total", 0) + sum(v for k, v in r.get("status", {}).items() if not k.startswith("2"))
print(round(r.get("requests_per_sec", 0)), r.get("p50_us", -1), r.get("p99_us", -1), errors,
      "%.1f" % (cpu_ticks * 1e6 / hz / n if n else 0), 0)
' $((cpu1 - cpu0)) "$HZ" <<< "$out")
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A RSS_AFTER
for transport in $TRANSPORTS; do
    declare -A ADDRESS=() BPID=()
    for b in $BACKENDS; do
        [[ "$b" == nginx-return ]] && continue
        ADDRESS[$b]=$(address_for "$b" "$transport")
        start_backend "$b" "${ADDRESS[$b]}"
        BPID[$b]=$STARTED_PID
    done
    for b in "${!ADDRESS[@]}"; do
        await_address "$b" "${BPID[$b]}" "${ADDRESS[$b]}"
        [[ "${ADDRESS[$b]}" == unix:* ]] && chmod 666 "${ADDRESS[$b]#unix:}" 2>/dev/null || true
    done
    url() { echo "http://127.0.0.1:$NGINX_PORT/$1${2:+/$2}/hello.php"; }
    warmed=0
    for keep in $KEEP_CONN; do
        # a fresh nginx per keep-conn mode: idle kept upstream connections pin php-fpm's children, which would
        # starve the next mode's connections (FPM's known weakness, measured by the keep-conn on rows)
        NGINX_PORT=$(free_port)
        nginx_conf "$NGINX_PORT" > "$TMP/nginx.conf"
        "$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" > "$TMP/nginx.log" 2>&1 &
        NGINX_PID=$!
        PIDS+=("$NGINX_PID")
        await_address nginx "$NGINX_PID" "127.0.0.1:$NGINX_PORT"
        if ((!warmed)); then
            for b in $BACKENDS; do
                if [[ "$b" == nginx-return ]]; then
                    answer=$(curl -sS --max-time 5 "$(url "$b")")
                else
                    answer=$(curl -sS --max-time 5 "$(url "$b" on)")
                fi
                [[ "$answer" == "Hello, World!" ]] || { echo "compare: $b answered '$answer' over $transport" >&2; exit 1; }
            done
            echo "== $transport: backends on ${ADDRESS[*]}, nginx on :$NGINX_PORT"
            C=16
            for b in $BACKENDS; do        # warm-up: JIT, opcache, connection pools
                [[ "$b" == nginx-return ]] && continue
                measure_wrk "$(url "$b" on)" "$WARMUP" ""
            done
            warmed=1
        fi
        for C in $CONNECTIONS; do
            for ((r = 1; r <= ROUNDS; r++)); do
                for b in $BACKENDS; do
                    if [[ "$b" == nginx-return ]]; then
                        [[ "$transport" == "${TRANSPORTS%% *}" && "$keep" == "${KEEP_CONN%% *}" ]] || continue
                        measure_wrk "$(url "$b")" "$DURATION" "$NGINX_PID" "$NGINX_PID"
                    else
                        measure_wrk "$(url "$b" "$keep")" "$DURATION" "${BPID[$b]}" "$NGINX_PID"
                    fi
                    printf 'nginx\t%s\t%s\t%s\t%s\t%s\t%s\n' "$transport" "$keep" "$C" "$b" "$r" \
                        "${MEASURED// /$'\t'}" >> "$RESULTS"
                    echo "  nginx $transport keep-conn $keep c$C round $r $b: $MEASURED"
                done
            done
        done
        [[ -n "${RSS_AFTER[$transport/nginx-return]:-}" ]] || RSS_AFTER["$transport/nginx-return"]=$(rss_mb "$NGINX_PID")
        stop_pid "$NGINX_PID"
    done
    if ((DIRECT)); then
        C=16
        for keep in $KEEP_CONN; do
            for ((r = 1; r <= ROUNDS; r++)); do
                for b in $BACKENDS; do
                    [[ "$b" == nginx-return ]] && continue
                    measure_direct "${ADDRESS[$b]}" "$keep" "$DURATION" "${BPID[$b]}"
                    printf 'direct\t%s\t%s\t%s\t%s\t%s\t%s\n' "$transport" "$keep" "$C" "$b" "$r" \
                        "${MEASURED// /$'\t'}" >> "$RESULTS"
                    echo "  fcgi-load $transport keep-conn $keep c$C round $r $b: $MEASURED"
                done
            done
        done
    fi
    for b in "${!BPID[@]}"; do
        RSS_AFTER["$transport/$b"]=$(rss_mb "${BPID[$b]}")
    done
    for b in "${!BPID[@]}"; do
        stop_pid "${BPID[$b]}"
    done
    unset ADDRESS BPID
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
for key in "${!RSS_AFTER[@]}"; do
    printf '%s\t%s\n' "$key" "${RSS_AFTER[$key]}"
done > "$TMP/rss.tsv"

# ---- the report
versions() {
    echo "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), $("$PHP_FPM" -v | head -1 | sed 's/ (built.*//'),"
    echo "$(command -v go >/dev/null && go version | cut -d' ' -f3), Jetty $(unzip -p "$BENCH_JAR" \
        META-INF/maven/org.eclipse.jetty/jetty-server/pom.properties 2>/dev/null | sed -n 's/^version=//p'),"
    echo "$("$JAVA" -version 2>&1 | head -1) (${JVM[*]:1}), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
}
mkdir -p "$(dirname "$OUTPUT")"
python3 - "$RESULTS" "$TMP/rss.tsv" "$OUTPUT" "$COMMAND_LINE" "$(nproc)" "$(uname -r)" \
    "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)" "$LOAD_BEFORE" "$LOAD_AFTER" "$(versions | paste -sd' ')" \
    "$ROUNDS" "$DURATION" <<'EOF'
import statistics, sys
from collections import defaultdict
results, rss_file, output, command, cpus, kernel, model, load0, load1, versions, rounds, duration = sys.argv[1:]
cells = defaultdict(list)
for line in open(results):
    via, transport, keep, c, backend, r, rps, p50, p99, errors, cpu, ncpu = line.rstrip('\n').split('\t')
    cells[(via, transport, keep, int(c), backend)].append(
        (float(rps), float(p50), float(p99), int(errors), float(cpu), float(ncpu)))
rss = dict(line.rstrip('\n').split('\t') for line in open(rss_file))
NAMES = {
    'nginx-return': 'nginx `return 200` (ceiling)', 'php-fpm-2': 'php-fpm 8.2, static 2', 'php-fpm-8': 'php-fpm 8.2, static 8',
    'go': 'Go net/http/fcgi', 'jetty': 'Jetty 12 fcgi-server', 'ours-vt': '**ours**, virtual thread per request',
    'ours-pool': '**ours**, FcgiPool static 8 threads', 'ours-loop': '**ours**, event loop',
    'ours-php-2': '**ours**, FcgiPool of 2 php-cgi',
}
def ms(us):
    return '–' if us < 0 else ('%.2f' % (us / 1000) if us < 10000 else '%.0f' % (us / 1000))
out = []
out.append('### Side by side: nginx (1 worker) in front of each backend, hello world\n')
out.append('Machine: %s CPUs (%s), Linux %s; load average %s before, %s after. Versions: %s.\n'
           % (cpus, model, kernel, load0, load1, versions))
out.append('Method: `%s`: %s interleaved rounds of %s s per cell (every backend once per round, in turn), medians '
           'shown; wrk -t1 against nginx, `--timeout 2s`; CPU is the backend\'s user + system time per request '
           '(all its processes), nginx CPU the same for nginx (one worker: at about 1,000,000 µs per second it '
           'is the bottleneck); RSS after the transport\'s rounds. Errors: non-2xx answers, socket errors and '
           'timeouts (2 s); "no answer": not one response in the round.\n' % (command, rounds, duration))
for via in ('nginx', 'direct'):
    keys = sorted({k[:4] for k in cells if k[0] == via}, key=lambda k: (k[1] != 'tcp', k[2] != 'on', k[3]))
    if not keys:
        continue
    out.append('#### %s\n' % ('nginx → backend (wrk against nginx)' if via == 'nginx'
                              else 'fcgi-load straight to the backend (16 connections)'))
    if via == 'nginx':
        out.append('| transport | keep-conn | conns | backend | req/s | p50 ms | p99 ms | errors | CPU µs/req '
                   '| nginx CPU µs/req | RSS MB |')
        out.append('|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|')
    else:
        out.append('| transport | keep-conn | conns | backend | req/s | p50 ms | p99 ms | errors | CPU µs/req | RSS MB |')
        out.append('|---|---|---:|---|---:|---:|---:|---:|---:|---:|')
    for (v, transport, keep, c) in keys:
        rows = []
        for (v2, t2, k2, c2, backend), runs in cells.items():
            if (v2, t2, k2, c2) != (v, transport, keep, c):
                continue
            rows.append((backend, statistics.median(x[0] for x in runs), statistics.median(x[1] for x in runs),
                         statistics.median(x[2] for x in runs), sum(x[3] for x in runs),
                         statistics.median(x[4] for x in runs), statistics.median(x[5] for x in runs)))
        order = list(NAMES)
        rows.sort(key=lambda row: order.index(row[0]))
        for backend, rps, p50, p99, errors, cpu, ncpu in rows:
            mem = rss.get('%s/%s' % (transport, backend), '–')
            answered = rps >= 1
            cols = [transport, keep, '%d' % c, NAMES[backend], '{:,.0f}'.format(rps) if answered else 'no answer',
                    ms(p50) if answered else '–', ms(p99) if answered else '–', str(errors),
                    '%.1f' % cpu if answered and cpu > 0 else '–']
            if via == 'nginx':
                cols.append('%.1f' % ncpu if answered and ncpu > 0 else '–')
            cols.append(mem)
            out.append('| ' + ' | '.join(cols) + ' |')
    out.append('')
# ours against the best peer, per nginx cell
peers = ('php-fpm-2', 'php-fpm-8', 'go', 'jetty')
summary = []
for (via, transport, keep, c, backend), runs in sorted(cells.items()):
    if via != 'nginx' or not backend.startswith('ours') or backend == 'ours-php-2':
        continue
    # peers that answered every request: one that times out or fails requests does not set the bar
    peer_rows = [(b, statistics.median(x[0] for x in cells[(via, transport, keep, c, b)]))
                 for b in peers if (via, transport, keep, c, b) in cells
                 and sum(x[3] for x in cells[(via, transport, keep, c, b)]) == 0
                 and statistics.median(x[0] for x in cells[(via, transport, keep, c, b)]) >= 1]
    if not peer_rows:
        continue
    best, best_rps = max(peer_rows, key=lambda p: p[1])
    ours_rps = statistics.median(x[0] for x in runs)
    ours_p99 = statistics.median(x[2] for x in runs)
    min_peer_p99 = min(statistics.median(x[2] for x in cells[(via, transport, keep, c, b)]) for b, _ in peer_rows
                       if statistics.median(x[0] for x in cells[(via, transport, keep, c, b)]) > 0)
    summary.append('| %s | %s | %d | %s | %.2f× %s | %s ms vs %s ms |' % (
        transport, keep, c, NAMES[backend], ours_rps / best_rps if best_rps else float('inf'), NAMES[best],
        ms(ours_p99), ms(min_peer_p99)))
if summary:
    out.append('#### Ours against the best peer (req/s ratio; p99 against the lowest peer p99; peers with errors '
               'or no answers left out)\n')
    out.append('| transport | keep-conn | conns | ours | req/s vs best peer | p99 vs best peer p99 |')
    out.append('|---|---|---:|---|---|---|')
    out.extend(summary)
    out.append('')
text = '\n'.join(out) + '\n'
open(output, 'w').write(text)
print(text)
EOF
echo "written to $OUTPUT"
