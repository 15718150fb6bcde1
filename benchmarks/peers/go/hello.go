// The Go peer of the load comparison: net/http/fcgi answering every request with 200, text/plain and
// "Hello, World!", on a TCP port or a Unix socket. Standard library only.
//
//	go build -o benchmarks/target/peers/go-fcgi-hello benchmarks/peers/go/hello.go
//	benchmarks/target/peers/go-fcgi-hello --listen 127.0.0.1:9000    # or unix:/tmp/go.sock, or 9000
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/fcgi"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

var (
	hello       = []byte("Hello, World!")
	helloLength = strconv.Itoa(len(hello))
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9000", "host:port, port or unix:/path")
	flag.Parse()

	network, address := "tcp", *listen
	if strings.HasPrefix(address, "unix:") {
		network, address = "unix", strings.TrimPrefix(address, "unix:")
		if info, err := os.Lstat(address); err == nil && info.Mode()&os.ModeSocket != 0 {
			os.Remove(address) // a socket left by an earlier run, never a regular file
		}
	} else if !strings.Contains(address, ":") {
		address = "127.0.0.1:" + address
	}
	l, err := net.Listen(network, address)
	if err != nil {
		log.Fatal(err)
	}
	if network == "unix" {
		// nginx's workers (nobody) must be able to connect, as with FPM's listen.mode.
		if err := os.Chmod(address, 0o666); err != nil {
			log.Fatal(err)
		}
	}

	// Close the listener on SIGINT/SIGTERM, which also removes a Unix socket.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	stopped := make(chan struct{})
	go func() {
		<-signals
		close(stopped)
		l.Close()
	}()

	fmt.Printf("go-fcgi-hello (%s, GOMAXPROCS %d) listening on %s\n", runtime.Version(), runtime.GOMAXPROCS(0), *listen)
	err = fcgi.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", helloLength) // net/http/fcgi does not add it; Jetty does
		w.Write(hello)
	}))
	select {
	case <-stopped:
	default:
		log.Fatal(err) // Serve returns only on an error
	}
}
