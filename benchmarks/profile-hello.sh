#!/usr/bin/env bash
# CPU profile of the hello example behind nginx, as "Where the time goes" in the README was made: nginx (1 worker,
# keepalive 16) in front of `hello` with the given options, wrk -t1 -c16 for a warm-up, then async-profiler
# (from Maven Central) sampling the JVM while wrk runs again. Prints req/s, latency, the backend's CPU per request,
# the share of samples in the kernel, and the heaviest frames; writes the collapsed stacks to FILE.
#
#   benchmarks/profile-hello.sh [--duration 10] [--out /tmp/hello.collapsed] [-- hello options, e.g. --event-loop]
#
# Needs nginx, wrk, python3, Maven (for the profiler jar) and a JDK 21+. Loopback only; every process started is
# stopped by its PID.
set -euo pipefail
DURATION=10
OUT=/tmp/hello.collapsed
while (($#)); do
    case "$1" in
        --duration) DURATION=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --) shift; break ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# //'; exit 0 ;;
        *) break ;;
    esac
done
[[ "$DURATION" =~ ^[1-9][0-9]*$ && "$DURATION" -le 120 ]] || { echo "profile-hello: --duration 1..120" >&2; exit 2; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT=profile-hello
# shellcheck source=lib.sh
source "$ROOT/benchmarks/lib.sh"
find_java
JAVA_BIN=$(dirname "$(readlink -f "$(command -v "$JAVA")")")
JAR="$ROOT/fcgi-examples/target/fcgi-examples.jar"
[[ -f "$JAR" ]] || (cd "$ROOT" && mvn -B -q -o package -DskipTests -pl fcgi-examples -am)
PROFILER_JAR=~/.m2/repository/tools/profiler/async-profiler/4.1/async-profiler-4.1.jar
[[ -f "$PROFILER_JAR" ]] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:4.1
TMP=$(mktemp -d /tmp/profile-hello.XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() {
    local status=$?
    while ((${#PIDS[@]})); do stop_pid "${PIDS[-1]}"; done
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
(cd "$TMP" && unzip -q "$PROFILER_JAR" linux-x64/libasyncProfiler.so)
LIB="$TMP/linux-x64/libasyncProfiler.so"

BACKEND=$(free_port)
FRONT=$(free_port)
cat > "$TMP/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/body; fastcgi_temp_path $TMP/fastcgi; proxy_temp_path $TMP/proxy;
    uwsgi_temp_path $TMP/uwsgi; scgi_temp_path $TMP/scgi;
    upstream hello { server 127.0.0.1:$BACKEND; keepalive 16; }
    server {
        listen 127.0.0.1:$FRONT;
        location / { include /etc/nginx/fastcgi_params; fastcgi_pass hello; fastcgi_keep_conn on; }
    }
}
CONF
"$JAVA" -Dio.netty.leakDetection.level=disabled -jar "$JAR" hello --listen "127.0.0.1:$BACKEND" "$@" \
    > "$TMP/hello.log" 2>&1 &
HELLO=$!
PIDS+=("$HELLO")
nginx -p "$TMP" -c "$TMP/nginx.conf" > "$TMP/nginx.log" 2>&1 &
PIDS+=("$!")
await_port hello "$HELLO" "$BACKEND"
await_port nginx "${PIDS[-1]}" "$FRONT"
URL="http://127.0.0.1:$FRONT/"
wrk -t1 -c16 -d8s "$URL" > /dev/null                      # warm-up: the JIT
ticks() { sed 's/^.*) //' "/proc/$HELLO/stat" | awk '{ print $12 + $13 }'; }
"$JAVA_BIN/jcmd" "$HELLO" JVMTI.agent_load "$LIB" "\"start,event=cpu,interval=1ms\"" > /dev/null
t0=$(ticks)
out=$(wrk -t1 -c16 -d"${DURATION}s" --latency "$URL")
t1=$(ticks)
"$JAVA_BIN/jcmd" "$HELLO" JVMTI.agent_load "$LIB" "\"stop,file=$OUT,collapsed\"" > /dev/null
n=$(awk '/requests in/ { print $1 }' <<< "$out")
echo "hello $*: $(awk '/^Requests\/sec:/ { print $2 }' <<< "$out") req/s," \
    "p50 $(awk '$1 == "50%" { print $2 }' <<< "$out"), p99 $(awk '$1 == "99%" { print $2 }' <<< "$out")," \
    "backend CPU $(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN { printf "%.1f", d * 1e6 / hz / n }') µs/request"
python3 - "$OUT" <<'PY'
import collections, sys
total = kernel = 0
inclusive = collections.Counter()
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(' ')
    n = int(n)
    frames = stack.split(';')
    total += n
    kernel += n if frames[-1].endswith('_[k]') else 0
    for frame in set(frames):
        inclusive[frame] += n
print('samples %d, in the kernel %.1f%%; heaviest frames (inclusive):' % (total, 100 * kernel / max(total, 1)))
for frame, n in inclusive.most_common(60):
    if frame.startswith(('dev/fcgi', 'java/util/concurrent', 'jdk/internal/misc/Unsafe')) or 'writev' in frame \
            or 'epoll' in frame.lower():
        print('  %5.1f%% %s' % (100 * n / total, frame))
PY
echo "collapsed stacks: $OUT"
