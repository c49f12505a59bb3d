// Command loadgen is a small closed-loop HTTP load generator: `make bench` uses it when wrk is
// not installed, and for deployment-propagation timing.
//
// Load mode (default) keeps -c connections busy for -d and prints, in wrk's format (which
// scripts/bench.sh parses), the latency distribution and requests per second:
//
//	loadgen -c 64 -d 10s -H 'x-api-key: K' http://127.0.0.1:8080/pets/1
//
// Propagation mode runs a deploy command -n times; after each run it polls the URL until the
// body contains the expected text and records the time from the command's exit to that answer.
// "{n}" in -deploy and -expect is replaced by the round number:
//
//	loadgen -propagation -n 20 -deploy 'scripts/bench/deploy-mock.sh {n}' -expect 'v{n}' URL
//
// -free-port prints a free TCP port on 127.0.0.1 and exits.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// Bounds on what the flags accept.
const (
	maxConns       = 10000
	maxDuration    = time.Hour
	maxRounds      = 10000
	maxHeaders     = 64
	maxHeaderBytes = 8 << 10
	maxBodyBytes   = 16 << 20
)

type headerList []header

type header struct{ name, value string }

func (h *headerList) String() string { return fmt.Sprint(*h) }

func (h *headerList) Set(s string) error {
	if len(*h) >= maxHeaders {
		return fmt.Errorf("at most %d headers", maxHeaders)
	}
	hd, err := parseHeader(s)
	if err != nil {
		return err
	}
	*h = append(*h, hd)
	return nil
}

// parseHeader parses "Name: value" as curl's and wrk's -H do.
func parseHeader(s string) (header, error) {
	if len(s) > maxHeaderBytes {
		return header{}, fmt.Errorf("header longer than %d bytes", maxHeaderBytes)
	}
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return header{}, fmt.Errorf("header %q: want \"Name: value\"", s)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return header{}, fmt.Errorf("header %q: empty name", s)
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return header{}, fmt.Errorf("header %q: invalid character in name", s)
		}
	}
	value = strings.TrimSpace(value)
	if strings.ContainsAny(value, "\r\n\x00") {
		return header{}, fmt.Errorf("header %q: control character in value", s)
	}
	return header{name: name, value: value}, nil
}

// isTokenChar reports whether c may appear in an HTTP field name (RFC 9110 tchar).
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

type options struct {
	url         string
	conns       int
	duration    time.Duration
	method      string
	body        string
	headers     headerList
	timeout     time.Duration
	propagation bool
	rounds      int
	deploy      string
	expect      string
	pollEvery   time.Duration
	pollTimeout time.Duration
	freePort    bool
}

func (o *options) validate() error {
	var errs []error
	if o.freePort {
		return nil
	}
	if o.url == "" {
		errs = append(errs, errors.New("a URL argument is required"))
	}
	if o.conns < 1 || o.conns > maxConns {
		errs = append(errs, fmt.Errorf("-c %d: want 1..%d", o.conns, maxConns))
	}
	if o.duration <= 0 || o.duration > maxDuration {
		errs = append(errs, fmt.Errorf("-d %s: want (0, %s]", o.duration, maxDuration))
	}
	if o.timeout <= 0 || o.timeout > time.Minute {
		errs = append(errs, fmt.Errorf("-timeout %s: want (0, 1m]", o.timeout))
	}
	if len(o.body) > maxBodyBytes {
		errs = append(errs, fmt.Errorf("-body: longer than %d bytes", maxBodyBytes))
	}
	if o.propagation {
		if o.rounds < 1 || o.rounds > maxRounds {
			errs = append(errs, fmt.Errorf("-n %d: want 1..%d", o.rounds, maxRounds))
		}
		if o.deploy == "" || o.expect == "" {
			errs = append(errs, errors.New("-propagation needs -deploy and -expect"))
		}
		if o.pollEvery < 0 || o.pollEvery > time.Second {
			errs = append(errs, fmt.Errorf("-poll-every %s: want [0, 1s]", o.pollEvery))
		}
		if o.pollTimeout <= 0 || o.pollTimeout > 10*time.Minute {
			errs = append(errs, fmt.Errorf("-poll-timeout %s: want (0, 10m]", o.pollTimeout))
		}
	}
	return errors.Join(errs...)
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.IntVar(&o.conns, "c", 64, "connections (and concurrent requests)")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "duration of the load")
	fs.StringVar(&o.method, "method", "GET", "HTTP method")
	fs.StringVar(&o.body, "body", "", "request body")
	fs.Var(&o.headers, "H", `request header "Name: value" (repeatable)`)
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "per-request timeout")
	fs.BoolVar(&o.propagation, "propagation", false, "measure deployment propagation instead of load")
	fs.IntVar(&o.rounds, "n", 20, "propagation: deploy rounds")
	fs.StringVar(&o.deploy, "deploy", "", "propagation: shell command that deploys round {n}")
	fs.StringVar(&o.expect, "expect", "", "propagation: text the new body contains in round {n}")
	fs.DurationVar(&o.pollEvery, "poll-every", 200*time.Microsecond, "propagation: pause between polls")
	fs.DurationVar(&o.pollTimeout, "poll-timeout", 10*time.Second, "propagation: give up on a round after this")
	fs.BoolVar(&o.freePort, "free-port", false, "print a free TCP port on 127.0.0.1 and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("one URL argument, got %d", fs.NArg())
	}
	o.url = fs.Arg(0)
	if err := o.validate(); err != nil {
		return err
	}
	switch {
	case o.freePort:
		return printFreePort(out)
	case o.propagation:
		return propagate(o, out)
	default:
		return load(o, out)
	}
}

func printFreePort(out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, port)
	return err
}
