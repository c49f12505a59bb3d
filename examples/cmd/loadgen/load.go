package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// target is a parsed URL and a client bound to its host.
type target struct {
	uri    string
	client *fasthttp.HostClient
}

func newTarget(raw string, conns int, timeout time.Duration) (*target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("url %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want http:// or https:// with a host", raw)
	}
	addr := u.Host
	if u.Port() == "" {
		addr += map[string]string{"http": ":80", "https": ":443"}[u.Scheme]
	}
	return &target{uri: raw, client: &fasthttp.HostClient{
		Addr:                          addr,
		IsTLS:                         u.Scheme == "https",
		TLSConfig:                     &tls.Config{ServerName: u.Hostname()},
		MaxConns:                      conns,
		ReadTimeout:                   timeout,
		WriteTimeout:                  timeout,
		MaxIdleConnDuration:           time.Minute,
		MaxResponseBodySize:           maxBodyBytes,
		DisableHeaderNamesNormalizing: true,
		NoDefaultUserAgentHeader:      true,
	}}, nil
}

// result is what one load run measured.
type result struct {
	hist      histogram
	non2xx    uint64
	errors    uint64
	bytesRead uint64
	elapsed   time.Duration
}

func (r *result) merge(o *result) {
	r.hist.merge(&o.hist)
	r.non2xx += o.non2xx
	r.errors += o.errors
	r.bytesRead += o.bytesRead
}

// runLoad keeps o.conns requests in flight until o.duration has passed (closed loop: each
// worker sends its next request when the previous answer arrives).
func runLoad(o options) (*result, error) {
	t, err := newTarget(o.url, o.conns, o.timeout)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	deadline := start.Add(o.duration)
	parts := make([]result, o.conns)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() { worker(t, o, deadline, &parts[i]) })
	}
	wg.Wait()
	total := &result{elapsed: time.Since(start)}
	for i := range parts {
		total.merge(&parts[i])
	}
	t.client.CloseIdleConnections()
	return total, nil
}

func worker(t *target, o options, deadline time.Time, r *result) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(t.uri)
	req.Header.SetMethod(o.method)
	setHeaders(req, o.headers)
	if o.body != "" {
		req.SetBodyString(o.body)
	}
	// Every worker sends at least one request, so a run always measures something.
	for first := true; ; first = false {
		begin := time.Now()
		if !first && !begin.Before(deadline) {
			return
		}
		err := t.client.DoTimeout(req, resp, o.timeout)
		took := time.Since(begin)
		if err != nil {
			r.errors++
			continue
		}
		r.hist.record(took)
		r.bytesRead += uint64(len(resp.Body()) + resp.Header.Len())
		if sc := resp.StatusCode(); sc < 200 || sc >= 400 {
			r.non2xx++
		}
	}
}

// setHeaders adds hs to req; a Host header replaces the URL's host in the request.
func setHeaders(req *fasthttp.Request, hs headerList) {
	for _, h := range hs {
		if http11Host(h.name) {
			req.Header.SetHost(h.value)
			req.UseHostHeader = true
			continue
		}
		req.Header.Set(h.name, h.value)
	}
}

func http11Host(name string) bool {
	return len(name) == 4 && (name[0]|0x20) == 'h' && (name[1]|0x20) == 'o' && (name[2]|0x20) == 's' && (name[3]|0x20) == 't'
}

func load(o options, out io.Writer) error {
	r, err := runLoad(o)
	if err != nil {
		return err
	}
	return writeReport(out, o, r)
}

// writeReport prints r in wrk's layout, so one parser reads both tools.
func writeReport(out io.Writer, o options, r *result) error {
	secs := r.elapsed.Seconds()
	rps := 0.0
	if secs > 0 {
		rps = float64(r.hist.total) / secs
	}
	var b []byte
	b = fmt.Appendf(b, "Running %s test @ %s\n", o.duration, o.url)
	b = fmt.Appendf(b, "  loadgen, %d connections\n", o.conns)
	b = fmt.Appendf(b, "  Thread Stats   Avg      Max\n")
	b = fmt.Appendf(b, "    Latency   %8s %8s\n", wrkDuration(r.hist.mean()), wrkDuration(time.Duration(r.hist.max)))
	b = fmt.Appendf(b, "  Latency Distribution\n")
	for _, q := range []float64{0.50, 0.75, 0.90, 0.99} {
		b = fmt.Appendf(b, "  %3.0f%% %8s\n", q*100, wrkDuration(r.hist.quantile(q)))
	}
	b = fmt.Appendf(b, "  %d requests in %.2fs, %.2fMB read\n", r.hist.total, secs, float64(r.bytesRead)/(1<<20))
	if r.errors > 0 {
		b = fmt.Appendf(b, "  Socket errors: connect 0, read %d, write 0, timeout 0\n", r.errors)
	}
	if r.non2xx > 0 {
		b = fmt.Appendf(b, "  Non-2xx or 3xx responses: %d\n", r.non2xx)
	}
	b = fmt.Appendf(b, "Requests/sec: %10.2f\n", rps)
	_, err := out.Write(b)
	return err
}

// wrkDuration formats d as wrk does: two decimals in us, ms or s.
func wrkDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.2fus", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}
