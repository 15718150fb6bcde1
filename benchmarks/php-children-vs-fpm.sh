#!/usr/bin/env bash
# php-fpm 8.2 against our FcgiPool of php-cgi children (the fcgi-examples `php` example), side by side on one
# machine: one nginx (1 worker) in front of both, the same hello.php, the same pm (static, N children), the same
# php.ini and opcache setting; wrk runs against each backend in interleaved rounds (A B A B ...), and the medians
# go into a markdown table, printed and written to benchmarks/results/php-children-vs-fpm.md.
#
#   benchmarks/php-children-vs-fpm.sh [--children 8] [--rounds 3] [--duration 10] [--connections 16]
#                                     [--warmup 10] [--keepalive 16] [--append]
#
# Defaults take about 90 s (10 s of warm-up each: the JVM compiles its hot paths meanwhile). Needs nginx,
# php-fpm8.2, php-cgi, wrk, curl and a JDK 21+ (JAVA=/path/to/java, else the newest under /usr/lib/jvm; JAVA_OPTS
# for the example's JVM); builds fcgi-examples/target/fcgi-examples.jar when it is missing. Only loopback ports are
# used; every process the script starts is stopped by its PID when it exits. --append adds the report to the
# results file instead of replacing it.
set -euo pipefail

CHILDREN=8
ROUNDS=3
DURATION=10
CONNECTIONS=16
WARMUP=10
KEEPALIVE=16
APPEND=0
COMMAND_LINE="benchmarks/php-children-vs-fpm.sh${*:+ $*}"

usage() {       # [status]
    sed -n '/^#   benchmarks/,/--append\]$/p' "$0" | sed 's/^# //' >&2
    exit "${1:-2}"
}
number() {      # option value
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "php-children-vs-fpm: $1 expects a positive number, not '$2'" >&2; usage; }
    echo "$2"
}
while (($#)); do
    case "$1" in
        --children) CHILDREN=$(number "$1" "${2-}"); shift 2 ;;
        --rounds) ROUNDS=$(number "$1" "${2-}"); shift 2 ;;
        --duration) DURATION=$(number "$1" "${2-}"); shift 2 ;;
        --connections) CONNECTIONS=$(number "$1" "${2-}"); shift 2 ;;
        --warmup) WARMUP=$(number "$1" "${2-}"); shift 2 ;;
        --keepalive) KEEPALIVE=$(number "$1" "${2-}"); shift 2 ;;
        --append) APPEND=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "php-children-vs-fpm: unknown option $1" >&2; usage ;;
    esac
done
((ROUNDS * DURATION <= 600)) || { echo "php-children-vs-fpm: rounds x duration is capped at 600 s" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT=php-children-vs-fpm
# shellcheck source=lib.sh
source "$ROOT/benchmarks/lib.sh"
JAR="$ROOT/fcgi-examples/target/fcgi-examples.jar"
RESULTS="$ROOT/benchmarks/results/php-children-vs-fpm.md"
PHP_FPM=${PHP_FPM:-php-fpm8.2}
PHP_CGI=${PHP_CGI:-/usr/bin/php-cgi}
NGINX=${NGINX:-nginx}
OPCACHE=1                       # opcache.enable for both backends: php.ini's default on Debian, passed explicitly

for tool in "$NGINX" "$PHP_FPM" "$PHP_CGI" wrk curl; do
    command -v "$tool" >/dev/null || { echo "php-children-vs-fpm: $tool is not installed" >&2; exit 1; }
done

find_java

if [[ ! -f "$JAR" ]] || [[ "$("$JAVA" -jar "$JAR" 2>&1 || true)" != *$'\n  php '* ]]; then
    echo "+ (cd $ROOT && mvn -q -o package -DskipTests -pl fcgi-examples -am)"
    (cd "$ROOT" && mvn -q -o package -DskipTests -pl fcgi-examples -am)
fi

# ---- processes, stopped by PID on exit
TMP=$(mktemp -d /tmp/php-bench.XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() {
    local status=$? pid i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[i]}
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 1 150); do                   # up to 15 s: the JVM stops its pool gracefully
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
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


FPM_PORT=$(free_port)
CHILDREN_PORT=$(free_port)
NGINX_FPM_PORT=$(free_port)
NGINX_CHILDREN_PORT=$(free_port)
USER_LINE=""
CHILD_USER=()
if ((EUID == 0)); then
    USER_LINE="user = nobody"
    CHILD_USER=(--user nobody)
fi

# ---- the script
mkdir -m 755 "$TMP/www"
printf '<?php echo "Hello, World!";\n' > "$TMP/www/hello.php"
cat > "$TMP/www/setup.php" <<'EOF'
<?php
// what a backend runs with: opcache on or off, and a digest of its php.ini and of the conf.d files it parsed
$s = function_exists('opcache_get_status') ? opcache_get_status(false) : false;
$ini = php_ini_loaded_file();
$scanned = array_filter(array_map('trim', explode(',', (string) php_ini_scanned_files())));
$confd = '';
foreach ($scanned as $f) { $confd .= basename($f) . ':' . md5_file($f) . ';'; }
echo ($s && $s['opcache_enabled']) ? 'on' : 'off', ' ', $ini, ' ', substr($ini ? md5_file($ini) : '-', 0, 12), ' ',
    count($scanned), ' ', substr(md5($confd), 0, 12);
EOF
chmod 644 "$TMP/www/"*.php

# ---- php-fpm: its own php-fpm.conf; php.ini and conf.d (opcache) as php-fpm loads them by default
cat > "$TMP/php-fpm.conf" <<EOF
[global]
pid = $TMP/php-fpm.pid
error_log = $TMP/php-fpm.log
daemonize = no

[www]
$USER_LINE
listen = 127.0.0.1:$FPM_PORT
pm = static
pm.max_children = $CHILDREN
pm.max_requests = 0
EOF
FPM_CMD=("$PHP_FPM" --nodaemonize --fpm-config "$TMP/php-fpm.conf" -d "opcache.enable=$OPCACHE")
"${FPM_CMD[@]}" > "$TMP/php-fpm-out.log" 2>&1 &
PIDS+=($!)
FPM_PID=$!

# ---- our pool of php-cgi children: the same pm, the same php.ini (php-cgi's, identical here) and opcache setting
CHILDREN_CMD=("$JAVA" ${JAVA_OPTS:-} -jar "$JAR" php --listen "127.0.0.1:$CHILDREN_PORT" --pm static
    --max-children "$CHILDREN" --command "$PHP_CGI" "${CHILD_USER[@]}" --php-value "opcache.enable=$OPCACHE")
"${CHILDREN_CMD[@]}" > "$TMP/children.log" 2>&1 &
PIDS+=($!)
CHILDREN_PID=$!

await_port php-fpm "$FPM_PID" "$FPM_PORT"
await_port "the php example" "$CHILDREN_PID" "$CHILDREN_PORT"

# ---- one nginx, one worker, two servers
backend_server() {      # port upstream
    cat <<EOF
    server {
        listen 127.0.0.1:$1;
        root $TMP/www;
        location ~ \.php\$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_pass $2;
            fastcgi_keep_conn on;
        }
    }
EOF
}
cat > "$TMP/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events {
    worker_connections 1024;
}
http {
    access_log off;
    client_body_temp_path $TMP/client_body;
    fastcgi_temp_path $TMP/fastcgi;
    proxy_temp_path $TMP/proxy;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    upstream fpm {
        server 127.0.0.1:$FPM_PORT;
        keepalive $KEEPALIVE;
    }
    upstream children {
        server 127.0.0.1:$CHILDREN_PORT;
        keepalive $KEEPALIVE;
    }
$(backend_server "$NGINX_FPM_PORT" fpm)
$(backend_server "$NGINX_CHILDREN_PORT" children)
}
EOF
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" > "$TMP/nginx-out.log" 2>&1 &
PIDS+=($!)
NGINX_PID=$!
await_port nginx "$NGINX_PID" "$NGINX_FPM_PORT"
await_port nginx "$NGINX_PID" "$NGINX_CHILDREN_PORT"

NAMES=("php-fpm" "FcgiPool + php-cgi children")
URLS=("http://127.0.0.1:$NGINX_FPM_PORT" "http://127.0.0.1:$NGINX_CHILDREN_PORT")
BACKEND_PIDS=("$FPM_PID" "$CHILDREN_PID")
SETUP_SEEN=()
for b in 0 1; do
    body=$(curl -sS --max-time 10 "${URLS[b]}/hello.php")
    [[ "$body" == "Hello, World!" ]] || { echo "php-children-vs-fpm: ${NAMES[b]} answered '$body'" >&2; exit 1; }
    SETUP_SEEN+=("$(curl -sS --max-time 10 "${URLS[b]}/setup.php")")        # opcache ini md5 #conf.d md5
done

# ---- measurements
to_ms() {       # wrk's 850.00us / 3.21ms / 1.02s / 1.00m -> ms
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1
        if (f < 0) { print "?"; exit } printf "%.2f", n * f }'
}
median() {      # numbers... -> their median
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
        if (NR % 2) printf "%.2f", a[(NR + 1) / 2]; else printf "%.2f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
cpu_ticks() {   # pid -> "all php": user+system ticks of it and its children, and of the children alone
    local all=0 php=0 p t fields
    for p in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); do
        fields=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
        read -r -a t <<< "$fields"
        all=$((all + t[11] + t[12]))               # utime, stime (fields 14 and 15 of the whole line)
        [[ "$p" == "$1" ]] || php=$((php + t[11] + t[12]))
    done
    echo "$all $php"
}
switches() {    # pid -> context switches of every thread of it and its children
    local p
    for p in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); do
        cat /proc/"$p"/task/*/status 2>/dev/null || true
    done | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'
}
rss_mb() {      # pid -> resident MB of it and its children
    ps -o rss= -p "$1" --ppid "$1" 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s / 1024 }'
}
HZ=$(getconf CLK_TCK)
RPS_0=(); RPS_1=(); P50_0=(); P50_1=(); P99_0=(); P99_1=(); CPU_0=(); CPU_1=(); PHP_0=(); PHP_1=(); CS_0=(); CS_1=(); ERR_0=(); ERR_1=()
run_wrk() {     # backend seconds -> RUN_RPS RUN_P50 RUN_P99 (ms), RUN_CPU RUN_PHP (us per request), RUN_CS, RUN_ERR
    local b=$1 out cpu0 php0 cpu1 php1 cs0 cs1 n
    read -r cpu0 php0 < <(cpu_ticks "${BACKEND_PIDS[b]}")
    cs0=$(switches "${BACKEND_PIDS[b]}")
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${2}s" --latency "${URLS[b]}/hello.php")
    read -r cpu1 php1 < <(cpu_ticks "${BACKEND_PIDS[b]}")
    cs1=$(switches "${BACKEND_PIDS[b]}")
    echo "$out" >> "$TMP/wrk.txt"
    RUN_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<< "$out")
    RUN_P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<< "$out")")
    RUN_P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<< "$out")")
    n=$(awk '/requests in/ { print $1 }' <<< "$out")
    per_request() { awk -v d="$1" -v f="$2" -v n="$n" 'BEGIN { printf "%.1f", n ? d * f / n : 0 }'; }
    RUN_CPU=$(per_request $((cpu1 - cpu0)) "$((1000000 / HZ))")
    RUN_PHP=$(per_request $((php1 - php0)) "$((1000000 / HZ))")
    RUN_CS=$(per_request $((cs1 - cs0)) 1)
    RUN_ERR=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' \
        <<< "$out")
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "php-fpm on :$FPM_PORT, php-cgi children on :$CHILDREN_PORT, nginx on :$NGINX_FPM_PORT and :$NGINX_CHILDREN_PORT"
echo "warm-up: ${WARMUP} s each; then $ROUNDS rounds of ${DURATION} s each, php-fpm then children (wrk -t1 -c$CONNECTIONS)"
for b in 0 1; do
    run_wrk "$b" "$WARMUP"
done
for ((r = 1; r <= ROUNDS; r++)); do
    for b in 0 1; do
        run_wrk "$b" "$DURATION"
        echo "  round $r ${NAMES[b]}: $RUN_RPS req/s, p50 $RUN_P50 ms, p99 $RUN_P99 ms, backend CPU $RUN_CPU us/request" \
            "(PHP processes $RUN_PHP), $RUN_CS context switches/request, $RUN_ERR errors"
        eval "RPS_$b+=(\$RUN_RPS); P99_$b+=(\$RUN_P99); CPU_$b+=(\$RUN_CPU); PHP_$b+=(\$RUN_PHP); CS_$b+=(\$RUN_CS)"
        eval "ERR_$b+=(\$RUN_ERR); P50_$b+=(\$RUN_P50)"
    done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
RSS=("$(rss_mb "$FPM_PID")" "$(rss_mb "$CHILDREN_PID")")

# ---- the report
join() { local IFS=/; echo "$*"; }
java_version=$("$JAVA" -version 2>&1 | head -1)
report() {
    echo "### php-fpm vs FcgiPool + php-cgi children: pm = static, $CHILDREN children"
    echo
    echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), Linux $(uname -r);" \
        "load average $LOAD_BEFORE before, $LOAD_AFTER after (a shared machine: other work ran during the rounds)."
    echo "Versions: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), $("$PHP_FPM" -v | head -1 | sed 's/ (built.*//'), $("$PHP_CGI" -v | head -1 | sed 's/ (built.*//'), $java_version${JAVA_OPTS:+ ($JAVA_OPTS)}, $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)."
    local fpm=(${SETUP_SEEN[0]}) cgi=(${SETUP_SEEN[1]}) same="the same"
    [[ "${fpm[*]:2}" == "${cgi[*]:2}" ]] || same="DIFFERENT"
    echo "Setup: one nginx (1 worker, \`upstream { keepalive $KEEPALIVE; }\`, \`fastcgi_keep_conn on\`, \`access_log off\`) in front of both; \`hello.php\` = \`<?php echo \"Hello, World!\";\`; \`pm.max_requests = 0\` for both; children run as ${CHILD_USER[1]:-the current user}. PHP settings: each backend loads its default php.ini and conf.d (php-fpm ${fpm[1]} with ${fpm[3]} conf.d files, php-cgi ${cgi[1]} with ${cgi[3]} conf.d files: $same content by md5) and runs with \`opcache.enable=$OPCACHE\` (php-fpm \`-d\`, our example \`--php-value\`); opcache_get_status() says ${fpm[0]} for php-fpm, ${cgi[0]} for the children."
    echo "Load: \`wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency\`, ${WARMUP} s warm-up each, then $ROUNDS interleaved rounds (php-fpm, children, php-fpm, ...)."
    echo "Command: \`$COMMAND_LINE\`"
    echo
    echo "| backend | pm | children | req/s (median) | p50 ms (median) | p99 ms (median) | backend CPU µs/req (median) | of which PHP processes | context switches/req | RSS MB | errors | req/s per round | p99 ms per round |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    local b rps p50 p99 cpu php cs err
    for b in 0 1; do
        eval "rps=(\"\${RPS_$b[@]}\"); p99=(\"\${P99_$b[@]}\"); cpu=(\"\${CPU_$b[@]}\"); php=(\"\${PHP_$b[@]}\")"
        eval "cs=(\"\${CS_$b[@]}\"); err=(\"\${ERR_$b[@]}\"); p50=(\"\${P50_$b[@]}\")"
        printf '| %s | static | %s | %.0f | %s | %s | %.0f | %.0f | %.1f | %s | %s | %s | %s |\n' "${NAMES[b]}" "$CHILDREN" \
            "$(median "${rps[@]}")" "$(median "${p50[@]}")" "$(median "${p99[@]}")" "$(median "${cpu[@]}")" "$(median "${php[@]}")" \
            "$(median "${cs[@]}")" "${RSS[b]}" "$(($(printf '%s+' "${err[@]}")0))" "$(join "${rps[@]}")" \
            "$(join "${p99[@]}")"
    done
    echo
    echo "Backend CPU: user+system time per request (from /proc) of php-fpm's master and workers, or of the JVM and its php-cgi children; \"of which PHP processes\": the workers, or the php-cgi children, alone; nginx and wrk are not counted. Context switches: of every thread of those processes, per request. RSS MB: the sum over the same processes after the rounds (shared pages, e.g. php-fpm's one opcache segment, counted in each). Errors: wrk's non-2xx responses and socket errors over all rounds."
    if ((CONNECTIONS > CHILDREN)); then
        echo "Note: a php-fpm child serves one kept connection until nginx closes it (\`fastcgi_keep_conn on\`), so with $CONNECTIONS connections and $CHILDREN children the requests on connections no child has accepted wait in php-fpm's listen queue until one of the children's connections closes: expect a long tail (p99 far above p50) for php-fpm. The FcgiPool dispatches requests, not connections, to its children."
    fi
}
echo
mkdir -p "$(dirname "$RESULTS")"
if ((APPEND)) && [[ -f "$RESULTS" ]]; then
    { echo; report; } | tee -a "$RESULTS"
else
    report | tee "$RESULTS"
fi
echo
echo "(written to ${RESULTS#"$ROOT"/})"
