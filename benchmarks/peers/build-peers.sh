#!/usr/bin/env bash
# Builds the peers of the load comparison, each answering "Hello, World!" over FastCGI:
#   Go    benchmarks/target/peers/go-fcgi-hello [--listen host:port | port | unix:/path]   (net/http/fcgi)
#   Jetty java -cp benchmarks/target/benchmarks.jar dev.fcgi.benchmarks.peers.JettyFcgiHello [--listen ...]
#   PHP   benchmarks/peers/php/hello.php, for php-fpm or php-cgi
#
#   benchmarks/peers/build-peers.sh
#
# Go is built from the standard library alone (GO111MODULE=off: nothing is downloaded); needs golang-go. The Jetty
# peer is in the JMH jar: the script checks that it is there and starts, building the jar (mvn -o) when it is
# missing; needs a JDK 21+ (JAVA=/path/to/java, else the newest under /usr/lib/jvm).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT="$ROOT/benchmarks/target/peers"
JAR="$ROOT/benchmarks/target/benchmarks.jar"
JETTY_MAIN=dev.fcgi.benchmarks.peers.JettyFcgiHello

fail() {
    echo "build-peers: $*" >&2
    exit 1
}

# ---- Go
command -v go >/dev/null || fail "go is not installed: apt-get install golang-go (Debian/Ubuntu), or put go on PATH"
mkdir -p "$OUT"
echo "+ go build -o benchmarks/target/peers/go-fcgi-hello benchmarks/peers/go/hello.go   ($(go version))"
(cd "$ROOT/benchmarks/peers/go" && GO111MODULE=off GOFLAGS= CGO_ENABLED=0 go build -trimpath -o "$OUT/go-fcgi-hello" hello.go)

# ---- Jetty
SCRIPT=build-peers
# shellcheck source=../lib.sh
source "$ROOT/benchmarks/lib.sh"
find_java

jetty_version() {
    [[ -f "$JAR" ]] && "$JAVA" -cp "$JAR" "$JETTY_MAIN" --version 2>/dev/null
}
if ! jetty_version >/dev/null; then
    echo "+ (cd $ROOT && mvn -q -o package -DskipTests -pl benchmarks -am)"
    (cd "$ROOT" && mvn -q -o package -DskipTests -pl benchmarks -am) \
        || fail "could not build $JAR (a dependency missing from ~/.m2? run the mvn command once without -o)"
    jetty_version >/dev/null || fail "$JAR has no $JETTY_MAIN"
fi

echo "Go:    $OUT/go-fcgi-hello"
echo "Jetty: $JAVA -cp $JAR $JETTY_MAIN   # $(jetty_version)"
echo "PHP:   $ROOT/benchmarks/peers/php/hello.php"
