package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/natstest"
)

// TestMain lets the test binary run as the portico command itself (PORTICO_TEST_MAIN=1), so
// tests can start a real process, signal it and read its exit status.
func TestMain(m *testing.M) {
	if os.Getenv("PORTICO_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func porticoCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "PORTICO_TEST_MAIN=1")
	return cmd
}

// TestSIGTERMDrains: SIGTERM during a slow in-flight request lets it finish, then portico
// exits 0.
func TestSIGTERMDrains(t *testing.T) {
	o := serveOptions{httpAddr: freeAddr(t), adminAddr: freeAddr(t), natsAddr: freeAddr(t)}
	cmd := porticoCmd(t, "serve", "--http-addr", o.httpAddr, "--admin-addr", o.adminAddr, "--nats-addr", o.natsAddr,
		"--data-dir", t.TempDir(), "--log-level", "error")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	g := &gateway{opts: o}
	natstest.Eventually(t, 20*time.Second, func() error {
		for _, addr := range []string{o.httpAddr, o.adminAddr} {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return err
			}
			c.Close()
		}
		return nil
	})
	nc := natstest.ConnectURL(t, g.natsURL())
	release := make(chan struct{})
	sub, err := nc.Subscribe("signal.slow", func(m *nats.Msg) {
		<-release
		_ = m.Respond([]byte("finished"))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	imp := importAPI(t, g, `openapi: 3.0.1
info: {title: slow, version: "1"}
paths:
  /slow:
    get:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: signal.slow}
`, "--stage", "s")
	got := make(chan response, 1)
	go func() { got <- do(t, "GET", imp.InvokeURL+"/slow", "") }()
	// the request is in flight once the subscriber holds it
	natstest.Eventually(t, 5*time.Second, func() error {
		if n, _ := sub.Delivered(); n == 0 {
			return errors.New("request not delivered yet")
		}
		return nil
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// the drain has begun once the edge stops accepting connections; the request is still held
	natstest.Eventually(t, 10*time.Second, func() error {
		c, err := net.Dial("tcp", o.httpAddr)
		if err == nil {
			c.Close()
			return errors.New("edge still accepting")
		}
		return nil
	})
	close(release)
	if r := <-got; r.status != 200 || r.body != "finished" {
		t.Errorf("in-flight request during drain = %d %q, want 200 finished", r.status, r.body)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("portico exited with %v after SIGTERM, want 0\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("portico did not exit within 30s of SIGTERM")
	}
}

// TestPortInUseNamesTheFlag: a taken address is a clear error naming its flag.
func TestPortInUseNamesTheFlag(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().String()
	for _, flag := range []string{"--http-addr", "--admin-addr", "--nats-addr"} {
		args := map[string]string{"--http-addr": freeAddr(t), "--admin-addr": freeAddr(t), "--nats-addr": freeAddr(t)}
		args[flag] = taken
		cmd := porticoCmd(t, "serve", "--http-addr", args["--http-addr"], "--admin-addr", args["--admin-addr"],
			"--nats-addr", args["--nats-addr"], "--data-dir", t.TempDir())
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(string(out), flag+" "+taken) {
			t.Errorf("serve with %s taken: %v\n%s", flag, err, out)
		}
	}
}
