package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// maxDeployOutput bounds what a deploy command may print (kept for the error message).
const maxDeployOutput = 64 << 10

// propagate runs the deploy command o.rounds times and measures, each time, how long after the
// command exits the URL first answers with a body containing the round's expected text.
func propagate(o options, out io.Writer) error {
	t, err := newTarget(o.url, 1, o.timeout)
	if err != nil {
		return err
	}
	defer t.client.CloseIdleConnections()
	var h, cmd histogram
	var polls uint64
	for n := 1; n <= o.rounds; n++ {
		round := strconv.Itoa(n)
		began := time.Now()
		if err := runDeploy(strings.ReplaceAll(o.deploy, "{n}", round), o.pollTimeout); err != nil {
			return fmt.Errorf("round %d: %w", n, err)
		}
		deployed := time.Now()
		cmd.record(deployed.Sub(began))
		p, err := pollFor(t, o, []byte(strings.ReplaceAll(o.expect, "{n}", round)), deployed)
		polls += p
		if err != nil {
			return fmt.Errorf("round %d: %w", n, err)
		}
		h.record(time.Since(deployed))
	}
	_, err = fmt.Fprintf(out, "Propagation: %d deploys, %d polls\n  50%% %8s\n  99%% %8s\n  max %8s\n  deploy command 50%% %s, 99%% %s\n",
		h.total, polls, wrkDuration(h.quantile(0.50)), wrkDuration(h.quantile(0.99)), wrkDuration(time.Duration(h.max)),
		wrkDuration(cmd.quantile(0.50)), wrkDuration(cmd.quantile(0.99)))
	return err
}

// runDeploy runs cmd with sh -c, bounded by timeout; its output is shown only on failure.
func runDeploy(cmd string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	var buf boundedBuffer
	c.Stdout, c.Stderr = &buf, &buf
	c.Stdin = nil
	c.Env = os.Environ()
	if err := c.Run(); err != nil {
		return fmt.Errorf("deploy command %q: %w: %s", cmd, err, bytes.TrimSpace(buf.b))
	}
	return nil
}

// pollFor requests the URL until the body contains want, or fails after o.pollTimeout.
func pollFor(t *target, o options, want []byte, since time.Time) (uint64, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(t.uri)
	setHeaders(req, o.headers)
	var polls uint64
	var last string
	for {
		polls++
		err := t.client.DoTimeout(req, resp, o.timeout)
		if err == nil && bytes.Contains(resp.Body(), want) {
			return polls, nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("status %d body %.200q", resp.StatusCode(), resp.Body())
		}
		if time.Since(since) > o.pollTimeout {
			return polls, fmt.Errorf("%q not served within %s (last: %s)", want, o.pollTimeout, last)
		}
		if o.pollEvery > 0 {
			time.Sleep(o.pollEvery)
		}
	}
}

// boundedBuffer keeps the first maxDeployOutput bytes written to it.
type boundedBuffer struct{ b []byte }

func (w *boundedBuffer) Write(p []byte) (int, error) {
	if room := maxDeployOutput - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
