#!/usr/bin/env bash
# The soak of issue 7: mixed traffic for a bounded time through nginx and through FcgiClient to the `fpm` daemon
# (the examples jar, php-fpm.conf style) running dev.fcgi.benchmarks.soak.SoakHandler in a dynamic pool, every
# answer checked (its id, the upload's and the body's CRC32C), the daemon's heap after a full GC and its threads
# at the start and the end, optionally reloads (SIGHUP) during the run and a graceful stop (SIGWINCH) under load at
# the end, and the daemon's log searched for Netty's LEAK reports. The daemon's configuration is
# benchmarks/soak-fpm.conf. Writes benchmarks/results/soak.md; exits 0 when every check passed, 1 otherwise.
#
#   benchmarks/soak.sh [--duration 10m] [--warmup 30s] [--max-requests N] [--users 12] [--client-users 4]
#                      [--reload-every 30s] [--graceful-stop] [--paranoid] [--server-opts '-Xmx256m']
#                      [--sample-every 60s] [--append]
#
# --paranoid runs the daemon (and the driver) with Netty's leak detector at PARANOID: every buffer is tracked,
# which costs a lot of CPU, so give it a shorter --duration (2-3 minutes). --reload-every T sends SIGHUP every T,
# alternating pm.max_children between 24 and 26; --graceful-stop ends with SIGWINCH while calls are in flight and
# requires that none is lost: every call gets a checked answer or a clean refusal, the handler's totals at exit
# equal the answers checked, and the daemon exits 0 within its process_control_timeout (30 s).
# Everything is bounded (the driver's phases and every call have time limits) and stopped by PID on exit. Needs
# nginx and a JDK 21+ (JAVA=/path/to/java, else the newest under /usr/lib/jvm); builds the jars when missing.
set -euo pipefail

DURATION=10m
WARMUP=30s
MAX_REQUESTS=0
USERS=12
CLIENT_USERS=4
RELOAD_EVERY=0
GRACEFUL=0
PARANOID=0
SERVER_OPTS="-Xmx256m"
SAMPLE_EVERY=60s
APPEND=0
COMMAND_LINE="benchmarks/soak.sh${*:+ $*}"

usage() {       # [status]
    sed -n '/^#   benchmarks/,/--append\]$/p' "$0" | sed 's/^# //' >&2
    exit "${1:-2}"
}
while (($#)); do
    case "$1" in
        --duration) DURATION=${2?--duration needs a value}; shift 2 ;;
        --warmup) WARMUP=${2?--warmup needs a value}; shift 2 ;;
        --max-requests) MAX_REQUESTS=${2?--max-requests needs a value}; shift 2 ;;
        --users) USERS=${2?--users needs a value}; shift 2 ;;
        --client-users) CLIENT_USERS=${2?--client-users needs a value}; shift 2 ;;
        --reload-every) RELOAD_EVERY=${2?--reload-every needs a value}; shift 2 ;;
        --sample-every) SAMPLE_EVERY=${2?--sample-every needs a value}; shift 2 ;;
        --graceful-stop) GRACEFUL=1; shift ;;
        --paranoid) PARANOID=1; shift ;;
        --server-opts) SERVER_OPTS=${2?--server-opts needs a value}; shift 2 ;;
        --append) APPEND=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "soak: unknown option $1" >&2; usage ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT=soak
# shellcheck source=lib.sh
source "$ROOT/benchmarks/lib.sh"
EXAMPLES_JAR="$ROOT/fcgi-examples/target/fcgi-examples.jar"
BENCHMARKS_JAR="$ROOT/benchmarks/target/benchmarks.jar"
HANDLER_CLASSES="$ROOT/benchmarks/target/classes"
RESULTS="$ROOT/benchmarks/results/soak.md"
NGINX=${NGINX:-nginx}
command -v "$NGINX" >/dev/null || { echo "soak: $NGINX is not installed" >&2; exit 1; }
find_java

if [[ ! -f "$EXAMPLES_JAR" || ! -f "$BENCHMARKS_JAR" || ! -f "$HANDLER_CLASSES/dev/fcgi/benchmarks/soak/SoakHandler.class" ]]; then
    echo "+ (cd $ROOT && mvn -q -o package -DskipTests -pl fcgi-examples,benchmarks -am)"
    (cd "$ROOT" && mvn -q -o package -DskipTests -pl fcgi-examples,benchmarks -am)
fi

# -cp instead of -jar: the jars' Enable-Native-Access manifest entry does not apply (Netty loads its epoll library)
JVM_OPTS=(--enable-native-access=ALL-UNNAMED)
((PARANOID)) && JVM_OPTS+=(-Dio.netty.leakDetection.level=paranoid -Dio.netty.leakDetectionLevel=paranoid)

# ---- processes, stopped by PID on exit
TMP=$(mktemp -d /tmp/soak.XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() {
    local status=$? i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${PIDS[i]}"
    done
    if ((status != 0)); then
        for log in "$TMP"/*.log "$TMP"/*.out; do
            [[ -f "$log" ]] && { echo "---- $log" >&2; tail -n 20 "$log" >&2; }
        done
    fi
    cp -r "$TMP" /tmp/soak-keep || true; rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the daemon: benchmarks/soak-fpm.conf (one dynamic pool of SoakHandler on a Unix socket, FPM's status page),
# copied, since the driver rewrites pm.max_children before each reload
cp "$ROOT/benchmarks/soak-fpm.conf" "$TMP/fpm.conf"
MAX_CHILDREN=$(sed -n 's/^pm\.max_children *= *//p' "$TMP/fpm.conf")
# shellcheck disable=SC2086
FPM_ARGS=(-y "$TMP/fpm.conf" -g "$TMP/fpm.pid")
((EUID == 0)) && FPM_ARGS+=(-R)         # as php-fpm: a Java handler pool runs in the daemon's own (root) process
SOAK_DIR=$TMP "$JAVA" $SERVER_OPTS "${JVM_OPTS[@]}" -cp "$EXAMPLES_JAR:$HANDLER_CLASSES" dev.fcgi.examples.Examples fpm \
    "${FPM_ARGS[@]}" > "$TMP/fpm.out" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
for _ in $(seq 1 600); do
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "soak: the fpm daemon exited at start" >&2; exit 1; }
    grep -q 'ready to handle connections' "$TMP/fpm.log" 2>/dev/null && break
    sleep 0.1
done
grep -q 'ready to handle connections' "$TMP/fpm.log" || { echo "soak: the fpm daemon is not ready after 60 s" >&2; exit 1; }

# ---- nginx: 1 worker, keep-alive FastCGI connections, request bodies streamed, responses buffered unless the
# handler says X-Accel-Buffering: no
NGINX_PORT=$(free_port)
mkdir -p "$TMP/nginx"
NGINX_USER=""
((EUID == 0)) && NGINX_USER="user root;"      # the worker must reach the socket in this private directory
cat > "$TMP/nginx.conf" <<EOF
$NGINX_USER
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events {
    worker_connections 1024;
}
http {
    access_log off;
    client_body_temp_path $TMP/nginx/client_body;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    proxy_temp_path $TMP/nginx/proxy;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    client_max_body_size 0;
    upstream soak {
        server unix:$TMP/soak.sock;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME /srv/soak\$fastcgi_script_name;
            fastcgi_pass soak;
            fastcgi_keep_conn on;
            fastcgi_request_buffering off;
        }
    }
}
EOF
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" > "$TMP/nginx.out" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
await_port nginx "$NGINX_PID" "$NGINX_PORT"

# ---- the driver
DRIVER_ARGS=(--nginx "http://127.0.0.1:$NGINX_PORT" --fcgi "unix:$TMP/soak.sock" --server-pid "$SERVER_PID"
    --server-log "$TMP/fpm.log" --server-output "$TMP/fpm.out" --config "$TMP/fpm.conf"
    --nginx-error-log "$TMP/nginx-error.log"
    --duration "$DURATION" --warmup "$WARMUP" --max-requests "$MAX_REQUESTS" --users "$USERS"
    --client-users "$CLIENT_USERS" --reload-every "$RELOAD_EVERY" --sample-every "$SAMPLE_EVERY"
    --report "$TMP/report.md" --label "$COMMAND_LINE")
((GRACEFUL)) && DRIVER_ARGS+=(--graceful-stop)
echo "soak: daemon pid $SERVER_PID ($SERVER_OPTS${JVM_OPTS[*]:+ ${JVM_OPTS[*]}}), nginx pid $NGINX_PID on :$NGINX_PORT"
status=0
"$JAVA" "${JVM_OPTS[@]}" -cp "$BENCHMARKS_JAR" dev.fcgi.benchmarks.soak.Soak "${DRIVER_ARGS[@]}" \
    > "$TMP/driver.out" 2> >(tee "$TMP/driver.log" >&2) || status=$?
[[ -f "$TMP/report.md" ]] || { echo "soak: the driver wrote no report (exit $status)" >&2; exit 1; }

# ---- what only this script sees: the daemon's exit code after a graceful stop, the driver's own leak reports
EXTRA=()
if ((GRACEFUL)); then
    server_status=0
    wait "$SERVER_PID" || server_status=$?
    PIDS=("$NGINX_PID")
    EXTRA+=("The daemon's exit code after the graceful stop: $server_status (0 expected).")
    ((server_status == 0)) || status=1
fi
driver_leaks=$(grep -c 'LEAK:' "$TMP/driver.log" || true)
((PARANOID)) && EXTRA+=("The driver ran with the leak detector at PARANOID too: $driver_leaks LEAK lines in its output.")
((driver_leaks == 0)) || status=1
nginx_lines=$(grep -E '\[(error|crit|alert|emerg)\]' "$TMP/nginx-error.log" \
    | sed -E 's/^[0-9\/: ]+//; s/ [0-9]+#[0-9]+: \*[0-9]+ / /; s/, client: .*//; s#unix:/[^ ,:]+#unix:SOCKET#g' \
    | sort | uniq -c | sort -rn | head -8 || true)
if [[ -n "$nginx_lines" ]]; then
    EXTRA+=("nginx's error log, [error] and worse, over the whole run (the client part cut):"$'\n\n'"$(sed 's/^ *\([0-9]*\) /    \1 × /' <<< "$nginx_lines")")
else
    EXTRA+=("nginx's error log: no line at [error] or worse.")
fi

report() {
    cat "$TMP/report.md"
    echo "### Environment and what the script checked"
    echo
    echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(awk '/^MemTotal:/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r); shared with other work, so rates say nothing here: the soak checks correctness and footprint."
    echo "Versions: $("$JAVA" -version 2>&1 | head -1), $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')."
    echo "Daemon: \`java $SERVER_OPTS${JVM_OPTS[*]:+ ${JVM_OPTS[*]}} -cp fcgi-examples.jar:benchmarks/target/classes dev.fcgi.examples.Examples fpm -y benchmarks/soak-fpm.conf${FPM_ARGS[4]:+ -R}\` (a copy): pool \`pm = dynamic\`, max_children $MAX_CHILDREN, start 4, spare 2-6, \`pm.max_requests = 500\` (workers are replaced as they go), on a Unix socket; nginx 1 worker, \`keepalive 16\`, \`fastcgi_keep_conn on\`, \`fastcgi_request_buffering off\`."
    for line in "${EXTRA[@]}"; do
        echo
        echo "$line"
    done
    echo
    echo "**Script verdict: $( ((status == 0)) && echo PASS || echo FAIL)**"
}
mkdir -p "$(dirname "$RESULTS")"
if ((APPEND)) && [[ -f "$RESULTS" ]]; then
    { echo; report; } | tee -a "$RESULTS"
else
    report | tee "$RESULTS"
fi
echo
echo "(written to ${RESULTS#"$ROOT"/})"
exit "$status"
