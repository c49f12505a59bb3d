package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestBucketRoundTrip(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 12345, 1 << 20, 123456789, 1<<40 - 1, 1 << 41} {
		i := bucketOf(v)
		if i < prev {
			t.Fatalf("bucketOf(%d) = %d, below the previous value's bucket %d", v, i, prev)
		}
		prev = i
		if i < 0 || i >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d, want 0..%d", v, i, histBuckets-1)
		}
		if v >= maxLatency {
			continue
		}
		got := bucketValue(i)
		if diff := float64(got) - float64(v); diff < 0 && -diff > float64(v)/60 || diff > float64(v)/60+1 {
			t.Errorf("bucketValue(bucketOf(%d)) = %d, want within 1/60", v, got)
		}
	}
}

func TestQuantiles(t *testing.T) {
	var h histogram
	if got := h.quantile(0.5); got != 0 {
		t.Fatalf("empty quantile(0.5) = %v, want 0", got)
	}
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	tests := []struct {
		name string
		q    float64
		want time.Duration
	}{
		{"p50", 0.50, 500 * time.Microsecond},
		{"p90", 0.90, 900 * time.Microsecond},
		{"p99", 0.99, 990 * time.Microsecond},
		{"max", 1, 1000 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.quantile(tt.q)
			if d := got - tt.want; d < -tt.want/50 || d > tt.want/50 {
				t.Errorf("quantile(%v) = %v, want %v ±2%%", tt.q, got, tt.want)
			}
		})
	}
	var other histogram
	other.record(time.Second)
	h.merge(&other)
	if h.total != 1001 || time.Duration(h.max) != time.Second {
		t.Errorf("after merge total=%d max=%v, want 1001 and 1s", h.total, time.Duration(h.max))
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name, in   string
		name2, val string
		wantErr    bool
	}{
		{"plain", "x-api-key: abc", "x-api-key", "abc", false},
		{"no space", "Host:a.example", "Host", "a.example", false},
		{"colon in value", "X-T: a:b", "X-T", "a:b", false},
		{"empty value", "X-E:", "X-E", "", false},
		{"no colon", "nope", "", "", true},
		{"empty name", ": v", "", "", true},
		{"space in name", "a b: v", "", "", true},
		{"newline in value", "a: b\nc", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parseHeader(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseHeader(%q) err = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && (h.name != tt.name2 || h.value != tt.val) {
				t.Errorf("parseHeader(%q) = %q,%q, want %q,%q", tt.in, h.name, h.value, tt.name2, tt.val)
			}
		})
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"x-api-key: abc", "Host:a", ": v", "a b: c", "x:\r\n", strings.Repeat("a", 100) + ":b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHeader(s)
		if err != nil {
			return
		}
		if h.name == "" || strings.ContainsAny(h.name, " :\r\n") || strings.ContainsAny(h.value, "\r\n\x00") {
			t.Fatalf("parseHeader(%q) = %q,%q: accepted an invalid header", s, h.name, h.value)
		}
		var l headerList
		if err := l.Set(s); err != nil || len(l) != 1 || l[0] != h {
			t.Fatalf("headerList.Set(%q) = %v, %v; want the parsed header", s, l, err)
		}
	})
}

// serve starts a real fasthttp server on loopback and returns its base URL.
func serve(t *testing.T, h fasthttp.RequestHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: h}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Shutdown()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

var (
	rpsLine = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)$`)
	p99Line = regexp.MustCompile(`(?m)^\s+99%\s+([0-9.]+)(us|ms|s)$`)
	nonLine = regexp.MustCompile(`(?m)^\s+Non-2xx or 3xx responses: (\d+)$`)
	reqLine = regexp.MustCompile(`(?m)^\s+(\d+) requests in `)
)

func TestLoadCountsAndReportFormat(t *testing.T) {
	var served, keyed atomic.Int64
	base := serve(t, func(ctx *fasthttp.RequestCtx) {
		n := served.Add(1)
		if string(ctx.Request.Header.Peek("x-api-key")) == "k1" {
			keyed.Add(1)
		}
		if string(ctx.Host()) != "api.example" {
			ctx.SetStatusCode(400)
			return
		}
		if n%10 == 0 {
			ctx.SetStatusCode(503)
			return
		}
		ctx.SetBodyString(`{"ok":true}`)
	})
	var out bytes.Buffer
	err := run([]string{"-c", "4", "-d", "300ms", "-H", "x-api-key: k1", "-H", "Host: api.example", base + "/pets/1"}, &out)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	report := out.String()
	m := reqLine.FindStringSubmatch(report)
	if m == nil {
		t.Fatalf("no request count in report:\n%s", report)
	}
	reqs, _ := strconv.ParseInt(m[1], 10, 64)
	if reqs < 4 || reqs > served.Load() { // each of the 4 workers sends at least one
		t.Fatalf("report counts %d requests, server saw %d", reqs, served.Load())
	}
	if keyed.Load() != served.Load() {
		t.Errorf("%d of %d requests carried the x-api-key header", keyed.Load(), served.Load())
	}
	nm := nonLine.FindStringSubmatch(report)
	if nm == nil {
		t.Fatalf("no Non-2xx line though every 10th answer was 503:\n%s", report)
	}
	non, _ := strconv.ParseInt(nm[1], 10, 64)
	// fasthttp may retry an idempotent request the server already counted: allow a few.
	if want := reqs / 10; non < want-1 || non > want+5 {
		t.Errorf("Non-2xx = %d for %d requests, want about %d", non, reqs, want)
	}
	if rpsLine.FindStringSubmatch(report) == nil || p99Line.FindStringSubmatch(report) == nil {
		t.Errorf("report lacks Requests/sec or 99%% lines in wrk's format:\n%s", report)
	}
}

func TestLoadCountsErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: every request fails
	r, err := runLoad(options{url: "http://" + addr + "/", conns: 2, duration: 50 * time.Millisecond, method: "GET", timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.errors == 0 || r.hist.total != 0 {
		t.Errorf("against a closed port: errors=%d ok=%d, want errors>0 ok=0", r.errors, r.hist.total)
	}
}

func TestPropagation(t *testing.T) {
	state := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(state, []byte("v0"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := serve(t, func(ctx *fasthttp.RequestCtx) {
		b, err := os.ReadFile(state)
		if err != nil {
			ctx.SetStatusCode(500)
			return
		}
		ctx.SetBodyString(`{"v":"` + strings.TrimSpace(string(b)) + `"}`)
	})
	var out bytes.Buffer
	deploy := "printf 'v{n}' > " + state
	err := run([]string{"-propagation", "-n", "5", "-deploy", deploy, "-expect", `"v{n}"`, base + "/health"}, &out)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(out.String(), "Propagation: 5 deploys") || !regexp.MustCompile(`(?m)^\s+99%\s+[0-9.]+(us|ms|s)$`).MatchString(out.String()) {
		t.Errorf("report = %q, want 5 deploys and a 99%% line", out.String())
	}
	if !regexp.MustCompile(`(?m)^\s+deploy command 50% [0-9.]+(us|ms|s), 99% [0-9.]+(us|ms|s)$`).MatchString(out.String()) {
		t.Errorf("report = %q, want the deploy command's own timing", out.String())
	}
	if b, _ := os.ReadFile(state); string(b) != "v5" {
		t.Errorf("state after 5 rounds = %q, want v5", b)
	}

	// A deploy that never takes effect fails the run instead of hanging.
	out.Reset()
	err = run([]string{"-propagation", "-n", "1", "-poll-timeout", "100ms", "-deploy", "true", "-expect", "never", base + "/"}, &out)
	if err == nil || !strings.Contains(err.Error(), "not served within") {
		t.Errorf("run with an ineffective deploy: err = %v, want a poll timeout", err)
	}
	// A failing deploy command is reported.
	err = run([]string{"-propagation", "-n", "1", "-deploy", "echo boom; exit 3", "-expect", "x", base + "/"}, &out)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("run with a failing deploy: err = %v, want its output", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no url", []string{}, "URL argument"},
		{"bad conns", []string{"-c", "0", "http://x/"}, "-c 0"},
		{"bad scheme", []string{"-d", "1ms", "ftp://x/"}, "want http://"},
		{"propagation without deploy", []string{"-propagation", "http://x/"}, "-deploy and -expect"},
		{"bad header", []string{"-H", "nocolon", "http://x/"}, "Name: value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
	var out bytes.Buffer
	if err := run([]string{"-free-port"}, &out); err != nil {
		t.Fatal(err)
	}
	if p, err := strconv.Atoi(strings.TrimSpace(out.String())); err != nil || p <= 0 || p > 65535 {
		t.Errorf("-free-port printed %q, want a port number", out.String())
	}
}
