package main

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/portico/portico/pkg/natstest"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "portico.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testFlags is a small flag set shaped like serve's.
func testFlags() (*pflag.FlagSet, *serveOptions) {
	var o serveOptions
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:8080", "")
	fs.StringVar(&o.adminAddr, "admin-addr", "127.0.0.1:9080", "")
	fs.StringVar(&o.services, "services", "edge", "")
	fs.Float64Var(&o.accountRate, "account-rate", 10000, "")
	fs.Int64Var(&o.accountBurst, "account-burst", 5000, "")
	fs.BoolVar(&o.jwtAllowHTTP, "jwt-allow-http", false, "")
	fs.DurationVar(&o.ws.IdleTimeout, "ws-idle-timeout", time.Minute, "")
	fs.String("config", "", "")
	return fs, &o
}

func TestApplySettingsPrecedence(t *testing.T) {
	path := writeConfig(t, `
http-addr: 127.0.0.1:1111
admin-addr: 127.0.0.1:2222
services: [edge, authz]
account-rate: 12.5
account-burst: 300
jwt-allow-http: true
ws-idle-timeout: 90s
`)
	fs, o := testFlags()
	if err := fs.Parse([]string{"--admin-addr", "127.0.0.1:3333"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PORTICO_ACCOUNT_BURST": "42", "PORTICO_ADMIN_ADDR": "127.0.0.1:4444"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := applySettings(fs, path, lookup); err != nil {
		t.Fatalf("applySettings: %v", err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"file only", o.httpAddr, "127.0.0.1:1111"},
		{"flag beats env and file", o.adminAddr, "127.0.0.1:3333"},
		{"env beats file", o.accountBurst, int64(42)},
		{"list", o.services, "edge,authz"},
		{"float", o.accountRate, 12.5},
		{"bool", o.jwtAllowHTTP, true},
		{"duration", o.ws.IdleTimeout, 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestApplySettingsErrors(t *testing.T) {
	tests := []struct {
		name, file string
		env        map[string]string
		want       []string
	}{
		{"unknown key", "http-adr: x\n", nil, []string{`unknown setting "http-adr"`}},
		{"bad value", "account-burst: lots\n", nil, []string{"account-burst", `"lots"`}},
		{"every problem at once", "nope: 1\naccount-rate: fast\n", nil, []string{`"nope"`, "account-rate"}},
		{"bad env value", "", map[string]string{"PORTICO_ACCOUNT_RATE": "fast"}, []string{"PORTICO_ACCOUNT_RATE"}},
		{"not a mapping", "- a\n- b\n", nil, []string{"config"}},
		{"config is not a setting", "config: other.yaml\n", nil, []string{`unknown setting "config"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _ := testFlags()
			path := ""
			if tt.file != "" {
				path = writeConfig(t, tt.file)
			}
			err := applySettings(fs, path, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if err == nil {
				t.Fatal("applySettings = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("applySettings error %q does not name %q", err, w)
				}
			}
		})
	}
	if err := applySettings(pflag.NewFlagSet("x", pflag.ContinueOnError), filepath.Join(t.TempDir(), "missing.yaml"), os.LookupEnv); err == nil {
		t.Error("a missing config file is not an error")
	}
}

// TestCheckConfig runs `portico check-config` as a process: valid settings exit 0 with a
// summary; invalid ones exit 1 naming every problem; nothing listens meanwhile.
func TestCheckConfig(t *testing.T) {
	good := writeConfig(t, "services: [edge, authz, ratelimit]\nhttp-addr: 127.0.0.1:18081\naccount-rate: 50\n")
	out, err := porticoCmd(t, "check-config", "--config", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "configuration OK: roles edge,authz,ratelimit, edge 127.0.0.1:18081") {
		t.Fatalf("check-config of a valid file = %v\n%s", err, out)
	}
	bad := writeConfig(t, "services: [edge, gateway]\n")
	out, err = porticoCmd(t, "check-config", "--config", bad).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), `unknown role "gateway"`) {
		t.Fatalf("check-config of an unknown role = %v\n%s", err, out)
	}
	cmd := porticoCmd(t, "check-config", "--config", good, "--throttle-outage", "sometimes")
	out, err = cmd.CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "--throttle-outage") {
		t.Fatalf("check-config with a bad flag = %v\n%s", err, out)
	}
}

// TestServeConfigFile: serve takes its addresses from --config and the environment.
func TestServeConfigFile(t *testing.T) {
	httpAddr, adminAddr := freeAddr(t), freeAddr(t)
	path := writeConfig(t, "http-addr: "+httpAddr+"\nnats-addr: "+freeAddr(t)+"\nlog-level: error\ndata-dir: "+t.TempDir()+"\n")
	cmd := porticoCmd(t, "serve", "--config", path)
	cmd.Env = append(cmd.Env, "PORTICO_ADMIN_ADDR="+adminAddr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	natstest.Eventually(t, 20*time.Second, func() error {
		for _, u := range []string{"http://" + httpAddr + "/@portico/health", "http://" + adminAddr + "/"} {
			resp, err := http.Get(u)
			if err != nil {
				return err
			}
			resp.Body.Close()
		}
		return nil
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of SIGTERM")
	}
}
