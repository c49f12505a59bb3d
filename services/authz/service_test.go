package authz_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico/portico/pkg/authzclient"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/authz"
)

// syncBuffer collects the service's logs so tests can check that no raw key leaks.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	srv  *server.Server
	kv   jetstream.KeyValue
	reg  *prometheus.Registry // the first instance's metrics
	regs []*prometheus.Registry
	logs *syncBuffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := natstest.Start(t)
	return &env{srv: srv, reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
}

// bucket binds the config bucket as admin would, creating it if the test starts before authz.
func (e *env) bucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	if e.kv != nil {
		return e.kv
	}
	js, err := jetstream.New(natstest.Connect(t, e.srv))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, wire.ConfigBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: wire.ConfigBucket, History: 5})
	}
	if err != nil {
		t.Fatalf("config bucket: %v", err)
	}
	e.kv = kv
	return kv
}

// start runs the service until the test ends and waits until it is ready.
func (e *env) start(t *testing.T, mutate func(*authz.Config)) {
	t.Helper()
	cfg := authz.DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	reg := e.reg
	if len(e.regs) > 0 {
		reg = prometheus.NewRegistry()
	}
	e.regs = append(e.regs, reg)
	svc, err := authz.New(cfg, authz.Deps{
		Logger:  slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: reg,
		NATS:    natstest.Connect(t, e.srv),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v, want nil after a clean drain", err)
		}
	})
	select {
	case <-svc.Ready():
	case err := <-done:
		t.Fatalf("Run() = %v before ready", err)
	case <-time.After(10 * time.Second):
		t.Fatal("service not ready within 10s")
	}
}

// putKey writes an API key as admin does: the record and the hash index.
func (e *env) putKey(t *testing.T, id, value string, enabled bool, stages ...string) {
	t.Helper()
	kv := e.bucket(t)
	hash := model.HashAPIKey(value)
	rec, err := wire.Marshal(model.APIKey{ID: id, Name: id, Enabled: enabled, Hash: hash, StageKeys: stages})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := kv.Put(ctx, wire.KeyAPIKey(id), rec); err != nil {
		t.Fatalf("put %s: %v", id, err)
	}
	if _, err := kv.Put(ctx, wire.KeyAPIKeyHash(hash), []byte(id)); err != nil {
		t.Fatalf("put hash of %s: %v", id, err)
	}
}

func (e *env) deleteKey(t *testing.T, id, value string) {
	t.Helper()
	kv := e.bucket(t)
	ctx := context.Background()
	if err := kv.Delete(ctx, wire.KeyAPIKey(id)); err != nil {
		t.Fatalf("delete %s: %v", id, err)
	}
	if err := kv.Delete(ctx, wire.KeyAPIKeyHash(model.HashAPIKey(value))); err != nil {
		t.Fatalf("delete hash of %s: %v", id, err)
	}
}

// checks returns portico_authz_checks_total{result} of the first instance.
func (e *env) checks(t *testing.T, result string) int {
	t.Helper()
	return checksOf(t, e.reg, result)
}

func checksOf(t *testing.T, reg *prometheus.Registry, result string) int {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "portico_authz_checks_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return int(m.GetCounter().GetValue())
				}
			}
		}
	}
	return 0
}

func (e *env) client(t *testing.T, mutate func(*authzclient.Config)) *authzclient.Client {
	t.Helper()
	cfg := authzclient.DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := authzclient.New(natstest.Connect(t, e.srv), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

func request(t *testing.T, nc *nats.Conn, body []byte) wire.AuthzDecision {
	t.Helper()
	msg, err := nc.Request(wire.SubjectAuthzCheck, body, 5*time.Second)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	var d wire.AuthzDecision
	if err := wire.Unmarshal(msg.Data, &d); err != nil {
		t.Fatalf("decision %q: %v", msg.Data, err)
	}
	return d
}

func keyReq(key string) *wire.AuthzRequest {
	return &wire.AuthzRequest{APIID: "api", Stage: "prod", Method: "GET", Path: "/pets", APIKey: key, NeedAPIKey: true}
}

func TestDecisions(t *testing.T) {
	e := newEnv(t)
	e.putKey(t, "good", "good-secret", true, "api/prod", "api/beta")
	e.putKey(t, "off", "off-secret", false, "api/prod")
	e.putKey(t, "dev", "dev-secret", true, "api/dev", "other/prod")
	e.start(t, nil)
	nc := natstest.Connect(t, e.srv)

	tests := []struct {
		name  string
		req   wire.AuthzRequest
		allow bool
		keyID string
	}{
		{"right stage", *keyReq("good-secret"), true, "good"},
		{"second stage", wire.AuthzRequest{APIID: "api", Stage: "beta", APIKey: "good-secret", NeedAPIKey: true}, true, "good"},
		{"missing key", *keyReq(""), false, ""},
		{"unknown key", *keyReq("who-knows"), false, ""},
		{"disabled key", *keyReq("off-secret"), false, ""},
		{"wrong stage", *keyReq("dev-secret"), false, ""},
		{"wrong api", wire.AuthzRequest{APIID: "nope", Stage: "prod", APIKey: "good-secret", NeedAPIKey: true}, false, ""},
		{"hash instead of key", *keyReq(model.HashAPIKey("good-secret")), false, ""},
		{"no key needed", wire.AuthzRequest{APIID: "api", Stage: "prod"}, true, ""},
	}
	allows, denies := 0, 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := wire.Marshal(tt.req)
			d := request(t, nc, body)
			if d.Allow != tt.allow || d.APIKeyID != tt.keyID || d.UsageKey != tt.keyID {
				t.Fatalf("Check(%s) = %+v, want allow=%v key=%q", tt.name, d, tt.allow, tt.keyID)
			}
			if tt.allow && (d.TTLSeconds != 300 || d.Code != "") {
				t.Errorf("allow = %+v, want TTL 300 and no code", d)
			}
			if !tt.allow && (d.Code != wire.CodeForbidden || d.Message != "Forbidden" || d.TTLSeconds != 10) {
				t.Errorf("deny = %+v, want Forbidden, TTL 10", d)
			}
		})
		if tt.allow {
			allows++
		} else {
			denies++
		}
	}
	for _, body := range []string{`{`, `{"stage":"prod"}`, strings.Repeat(" ", 20<<10)} {
		if d := request(t, nc, []byte(body)); d.Allow || d.Code != wire.CodeBadRequest {
			t.Errorf("Check(%.20q) = %+v, want BadRequest", body, d)
		}
	}
	if got := e.checks(t, "allow"); got != allows {
		t.Errorf("checks_total{allow} = %d, want %d", got, allows)
	}
	if got := e.checks(t, "deny"); got != denies {
		t.Errorf("checks_total{deny} = %d, want %d", got, denies)
	}
	if got := e.checks(t, "error"); got != 3 {
		t.Errorf("checks_total{error} = %d, want 3", got)
	}
	for _, secret := range []string{"good-secret", "off-secret", "dev-secret", "who-knows"} {
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("logs contain the raw key %q", secret)
		}
	}
}

func TestClientCachesDecisions(t *testing.T) {
	e := newEnv(t)
	e.putKey(t, "good", "good-secret", true, "api/prod")
	e.start(t, nil)
	c := e.client(t, nil)
	ctx := context.Background()
	for range 5 {
		if d, err := c.Check(ctx, keyReq("good-secret")); err != nil || !d.Allow || d.UsageKey != "good" {
			t.Fatalf("Check(good) = %+v, %v, want allow", d, err)
		}
		if d, err := c.Check(ctx, keyReq("bad-secret")); err != nil || d.Allow {
			t.Fatalf("Check(bad) = %+v, %v, want deny", d, err)
		}
	}
	if a, d := e.checks(t, "allow"), e.checks(t, "deny"); a != 1 || d != 1 {
		t.Errorf("service answered %d allows and %d denies, want 1 and 1", a, d)
	}
	if st := c.Stats(); st.Requests != 2 || st.Hits != 8 {
		t.Errorf("client Stats() = %+v, want 2 requests, 8 hits", st)
	}
}

// refuses polls c until it refuses key: revocation must reach the edge through invalidation,
// since the cached allow would otherwise live for 300 s.
func refuses(t *testing.T, name string, c *authzclient.Client, key string) {
	t.Helper()
	natstest.Eventually(t, 5*time.Second, func() error {
		d, err := c.Check(context.Background(), keyReq(key))
		if err != nil {
			return err
		}
		if d.Allow {
			return fmt.Errorf("%s still allows the key", name)
		}
		if d.Code != wire.CodeForbidden {
			return fmt.Errorf("%s refuses with %+v, want Forbidden", name, d)
		}
		return nil
	})
}

func allows(t *testing.T, name string, c *authzclient.Client, key string) {
	t.Helper()
	natstest.Eventually(t, 5*time.Second, func() error {
		d, err := c.Check(context.Background(), keyReq(key))
		if err != nil {
			return err
		}
		if !d.Allow {
			return fmt.Errorf("%s refuses the key: %+v", name, d)
		}
		return nil
	})
}

func TestRevocationReachesEveryEdge(t *testing.T) {
	e := newEnv(t)
	e.putKey(t, "k1", "secret-one", true, "api/prod")
	e.putKey(t, "k2", "secret-two", true, "api/prod")
	e.start(t, nil)
	// Denials are cached for an hour: only an invalidation can let a re-enabled key in.
	edges := []*authzclient.Client{
		e.client(t, func(c *authzclient.Config) { c.DenyTTL = time.Hour }),
		e.client(t, func(c *authzclient.Config) { c.DenyTTL = time.Hour }),
	}
	ctx := context.Background()
	for i, c := range edges {
		for range 3 {
			for _, key := range []string{"secret-one", "secret-two"} {
				if d, err := c.Check(ctx, keyReq(key)); err != nil || !d.Allow {
					t.Fatalf("edge %d: Check(%s) = %+v, %v, want allow", i, key, d, err)
				}
			}
		}
		if st := c.Stats(); st.Requests != 2 || st.Hits != 4 {
			t.Fatalf("edge %d: Stats() = %+v, want 2 requests and 4 hits (cached)", i, st)
		}
	}

	t.Run("disable", func(t *testing.T) {
		e.putKey(t, "k1", "secret-one", false, "api/prod")
		for i, c := range edges {
			refuses(t, fmt.Sprintf("edge %d", i), c, "secret-one")
		}
		// The other key is untouched.
		for i, c := range edges {
			if d, err := c.Check(ctx, keyReq("secret-two")); err != nil || !d.Allow {
				t.Fatalf("edge %d: Check(secret-two) = %+v, %v, want allow", i, d, err)
			}
		}
	})
	t.Run("re-enable", func(t *testing.T) {
		e.putKey(t, "k1", "secret-one", true, "api/prod")
		for i, c := range edges {
			allows(t, fmt.Sprintf("edge %d", i), c, "secret-one")
		}
	})
	t.Run("unbind stage", func(t *testing.T) {
		e.putKey(t, "k1", "secret-one", true, "api/staging")
		for i, c := range edges {
			refuses(t, fmt.Sprintf("edge %d", i), c, "secret-one")
		}
	})
	t.Run("delete", func(t *testing.T) {
		e.deleteKey(t, "k2", "secret-two")
		for i, c := range edges {
			refuses(t, fmt.Sprintf("edge %d", i), c, "secret-two")
		}
	})
	t.Run("create after a cached denial", func(t *testing.T) {
		for i, c := range edges {
			refuses(t, fmt.Sprintf("edge %d", i), c, "secret-three")
		}
		e.putKey(t, "k3", "secret-three", true, "api/prod")
		for i, c := range edges {
			allows(t, fmt.Sprintf("edge %d", i), c, "secret-three")
		}
	})
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t)
	e.putKey(t, "k1", "old-value", true, "api/prod")
	e.start(t, nil)
	c := e.client(t, nil)
	if d, err := c.Check(context.Background(), keyReq("old-value")); err != nil || !d.Allow {
		t.Fatalf("Check(old) = %+v, %v, want allow", d, err)
	}
	e.putKey(t, "k1", "new-value", true, "api/prod")
	refuses(t, "edge", c, "old-value")
	allows(t, "edge", c, "new-value")
}

func TestInvalidRecordRevokesPreviousVersion(t *testing.T) {
	e := newEnv(t)
	e.putKey(t, "k1", "secret", true, "api/prod")
	e.start(t, nil)
	c := e.client(t, nil)
	if d, err := c.Check(context.Background(), keyReq("secret")); err != nil || !d.Allow {
		t.Fatalf("Check = %+v, %v, want allow", d, err)
	}
	if _, err := e.bucket(t).Put(context.Background(), wire.KeyAPIKey("k1"), []byte(`{"hash":"garbage"}`)); err != nil {
		t.Fatal(err)
	}
	refuses(t, "edge", c, "secret")
}

func TestBindsExistingBucket(t *testing.T) {
	e := newEnv(t)
	js, err := jetstream.New(natstest.Connect(t, e.srv))
	if err != nil {
		t.Fatal(err)
	}
	// Another service created the bucket first, with another history.
	kv, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: wire.ConfigBucket, History: 10})
	if err != nil {
		t.Fatal(err)
	}
	e.kv = kv
	e.putKey(t, "k1", "secret", true, "api/prod")
	e.start(t, nil)
	d := request(t, natstest.Connect(t, e.srv), mustMarshal(t, keyReq("secret")))
	if !d.Allow || d.APIKeyID != "k1" {
		t.Fatalf("Check = %+v, want allow k1", d)
	}
	st, err := kv.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.History() != 10 {
		t.Errorf("bucket history = %d, want 10 (authz must not reconfigure it)", st.History())
	}
}

func TestCreatesBucket(t *testing.T) {
	e := newEnv(t)
	e.start(t, func(c *authz.Config) { c.ResultTTL = 60 * time.Second })
	kv := e.bucket(t)
	st, err := kv.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.History() != 5 {
		t.Errorf("bucket history = %d, want 5", st.History())
	}
	e.putKey(t, "k1", "secret", true, "api/prod")
	c := e.client(t, nil)
	allows(t, "edge", c, "secret")
	d, err := c.Check(context.Background(), keyReq("secret"))
	if err != nil || d.TTLSeconds != 60 {
		t.Fatalf("Check = %+v, %v, want TTL 60", d, err)
	}
}

func TestTwoInstancesShareTheQueue(t *testing.T) {
	e := newEnv(t)
	e.putKey(t, "k1", "secret", true, "api/prod")
	e.start(t, nil)
	e.start(t, nil)
	nc := natstest.Connect(t, e.srv)
	for range 10 {
		if d := request(t, nc, mustMarshal(t, keyReq("secret"))); !d.Allow {
			t.Fatalf("Check = %+v, want allow", d)
		}
	}
	// Queue group: each check answered by exactly one instance.
	if got := checksOf(t, e.regs[0], "allow") + checksOf(t, e.regs[1], "allow"); got != 10 {
		t.Errorf("instances answered %d checks, want 10", got)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := wire.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*authz.Config)
		bad    []string
	}{
		{"default", func(*authz.Config) {}, nil},
		{"fractional ttl", func(c *authz.Config) { c.ResultTTL = 1500 * time.Millisecond }, []string{"result_ttl"}},
		{"several problems", func(c *authz.Config) {
			c.KVReplicas = 0
			c.MaxAPIKeys = 0
			c.SyncTimeout = 0
		}, []string{"kv_replicas", "max_api_keys", "sync_timeout"}},
		{"unbounded request", func(c *authz.Config) { c.MaxRequestBytes = 1 << 30 }, []string{"max_request_bytes"}},
		{"jwt bounds", func(c *authz.Config) {
			c.JWT.MaxTokenBytes = c.MaxRequestBytes + 1
			c.JWT.MinRefresh = 2 * c.JWT.Refresh
			c.JWT.MaxConcurrent = 0
		}, []string{"jwt.max_token_bytes", "jwt.min_refresh", "jwt.max_concurrent"}},
		{"custom and iam bounds", func(c *authz.Config) {
			c.Custom.Timeout = time.Minute
			c.Custom.MaxReplyBytes = 0
			c.Custom.MaxConcurrent = 0
			c.AdminAccessKeyID = "AKIA"
			c.AccountID = "12"
			c.MaxIAMUsers = 0
		}, []string{"custom.timeout", "custom.max_reply_bytes", "custom.max_concurrent", "admin_secret_access_key", "account_id", "max_iam_users"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := authz.DefaultConfig()
			tt.mutate(&cfg)
			err := cfg.Validate()
			if len(tt.bad) == 0 && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			for _, field := range tt.bad {
				if err == nil || !strings.Contains(err.Error(), field) {
					t.Errorf("Validate() = %v, want a problem with %s", err, field)
				}
			}
		})
	}
	if _, err := authz.New(authz.DefaultConfig(), authz.Deps{}); err == nil {
		t.Error("New without NATS = nil error, want one")
	}
}
