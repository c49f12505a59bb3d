// Command wsload measures a Portico edge holding many WebSocket connections: it opens N idle
// sockets to a WebSocket API stage, reports the edge process's resident memory per connection
// (from /proc/{pid}/status, before and after), then broadcasts to the stage over NATS (the
// connections service's broadcast, one publish per edge) and reports the delivery latency
// percentiles from publish to each socket's read. Used by scripts/bench-ws.sh.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/wire"
)

type options struct {
	url, natsURL, api, stage string
	conns, broadcasts        int
	concurrency, pid         int
	timeout                  time.Duration
	pprof, cpuProfile        string
	profileFor               time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "WebSocket URL of the stage (ws://…/restapis/{api}/{stage}/_user_request_)")
	flag.StringVar(&o.natsURL, "nats", "", "NATS URL for the broadcasts")
	flag.StringVar(&o.api, "api", "", "API id")
	flag.StringVar(&o.stage, "stage", "", "stage name")
	flag.IntVar(&o.conns, "n", 10000, "idle connections to open")
	flag.IntVar(&o.broadcasts, "broadcasts", 20, "broadcasts to send (one at a time)")
	flag.IntVar(&o.concurrency, "c", 64, "concurrent handshakes")
	flag.IntVar(&o.pid, "pid", 0, "edge process id, for its resident memory")
	flag.DurationVar(&o.timeout, "timeout", 2*time.Minute, "overall bound")
	flag.StringVar(&o.pprof, "pprof", "", "the edge's debug address (host:port), for -cpuprofile")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write the edge's CPU profile of the broadcasts to this file (needs -pprof)")
	flag.DurationVar(&o.profileFor, "profile-for", 5*time.Second, "length of the -cpuprofile")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "wsload:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.url == "" || o.natsURL == "" || o.api == "" || o.stage == "" || o.conns <= 0 || o.conns > 1_000_000 ||
		o.broadcasts < 0 || o.broadcasts > 10_000 || o.concurrency <= 0 || o.concurrency > 4096 {
		return errors.New("-url, -nats, -api, -stage required; 0 < -n ≤ 1e6, 0 ≤ -broadcasts ≤ 1e4, 0 < -c ≤ 4096")
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	nc, err := nats.Connect(o.natsURL)
	if err != nil {
		return fmt.Errorf("connecting to NATS: %w", err)
	}
	defer nc.Close()

	before := rssKiB(o.pid)
	start := time.Now()
	conns, err := dialAll(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	fmt.Printf("connections:    %d open in %.1f s\n", len(conns), time.Since(start).Seconds())
	if o.pid > 0 {
		// Let the edge finish registering the sockets before reading its memory.
		time.Sleep(2 * time.Second)
		after := rssKiB(o.pid)
		per := float64(after-before) * 1024 / float64(len(conns))
		fmt.Printf("edge RSS:       %.1f MiB before, %.1f MiB with %d sockets: %.1f KiB per connection\n",
			float64(before)/1024, float64(after)/1024, len(conns), per/1024)
		fmt.Printf("extrapolated:   100k connections ≈ %.2f GiB (goal ≤ 2 GiB)\n", (float64(before)*1024+per*100_000)/(1<<30))
	}
	if o.broadcasts == 0 {
		return nil
	}
	return broadcast(ctx, o, nc, conns)
}

func dialAll(ctx context.Context, o options) ([]*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	conns := make([]*websocket.Conn, o.conns)
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= o.conns || ctx.Err() != nil {
					return
				}
				c, _, err := d.DialContext(ctx, o.url, nil)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("dial %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		for _, c := range conns {
			if c != nil {
				_ = c.Close()
			}
		}
		return nil, firstErr
	}
	return conns, nil
}

// broadcast sends one broadcast at a time and waits until every socket has it.
func broadcast(ctx context.Context, o options, nc *nats.Conn, conns []*websocket.Conn) error {
	n := len(conns)
	lat := make([]time.Duration, 0, n*o.broadcasts)
	var mu sync.Mutex
	var got atomic.Int64
	for _, c := range conns {
		go func() {
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				now := time.Now().UnixNano()
				_, ts, _ := strings.Cut(string(data), " ")
				sent, err := strconv.ParseInt(ts, 10, 64)
				if err != nil {
					continue
				}
				mu.Lock()
				lat = append(lat, time.Duration(now-sent))
				mu.Unlock()
				got.Add(1)
			}
		}()
	}
	profiled := make(chan error, 1)
	if o.cpuProfile != "" {
		go func() { profiled <- cpuProfile(ctx, o) }()
	} else {
		profiled <- nil
	}
	edgeCPU, ownCPU := cpuTime(o.pid), cpuTime(os.Getpid())
	start := time.Now()
	for b := range o.broadcasts {
		want := int64(n * (b + 1))
		req := wire.ManageRequest{Op: wire.ManageBroadcast, APIID: o.api, Stage: o.stage,
			Data: []byte(fmt.Sprintf("b%d %d", b, time.Now().UnixNano()))}
		data, _ := wire.Marshal(req)
		reply, err := nc.RequestWithContext(ctx, wire.SubjectConnManage, data)
		if err != nil {
			return fmt.Errorf("broadcast %d: %w", b, err)
		}
		var resp wire.ManageResponse
		if err := wire.Unmarshal(reply.Data, &resp); err != nil || resp.Code != wire.CodeOK {
			return fmt.Errorf("broadcast %d answered %q: %v", b, reply.Data, err)
		}
		for got.Load() < want {
			if ctx.Err() != nil {
				return fmt.Errorf("broadcast %d: %d of %d deliveries before the deadline", b, got.Load()-int64(n*b), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	elapsed := time.Since(start)
	edgeCPU, ownCPU = cpuTime(o.pid)-edgeCPU, cpuTime(os.Getpid())-ownCPU
	if err := <-profiled; err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("broadcasts:     %d to %d sockets, %d deliveries (every socket got every one) in %.2f s\n",
		o.broadcasts, n, len(lat), elapsed.Seconds())
	fmt.Printf("delivery:       p50 %.1f ms  p99 %.1f ms  max %.1f ms (publish → socket read; goal p99 ≤ 50 ms)\n",
		ms(pct(0.50)), ms(pct(0.99)), ms(lat[len(lat)-1]))
	if o.pid > 0 {
		per := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(len(lat)) }
		fmt.Printf("cpu:            edge %.1f µs, load client %.1f µs per delivery (user+system)\n", per(edgeCPU), per(ownCPU))
	}
	return nil
}

// cpuProfile saves the edge's CPU profile over the next o.profileFor.
func cpuProfile(ctx context.Context, o options) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", o.pprof, max(1, int(o.profileFor.Seconds())))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("cpu profile: %s", resp.Status)
	}
	f, err := os.Create(o.cpuProfile)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("cpu profile: %w", err)
	}
	return f.Close()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuTime reads the user+system CPU time pid has used (0 when unknown), from /proc/{pid}/stat.
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: fields count from after its ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

// rssKiB reads VmRSS of pid (0 when unknown).
func rssKiB(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}
