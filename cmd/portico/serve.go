package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/services/edge"
	"github.com/portico/portico/services/edge/ws"
)

// Roles portico serve can run.
var allRoles = []string{"edge", "authz", "ratelimit", "connections", "admin"}

type serveOptions struct {
	httpAddr       string
	adminAddr      string
	natsAddr       string
	dataDir        string
	redisURL       string
	services       string
	natsURL        string
	logLevel       string
	edgeID         string
	debugAddr      string
	accountRate    float64
	natsInProcess  bool
	kvReplicas     int
	jwtAllowHTTP   bool
	throttleOutage string
	ws             ws.Config
	tlsAddr        string
	tlsCert        string
	tlsKey         string
	truststore     string
	accountBurst   int64
	cacheMaxBytes  int64
	// edgeListener, when set, is what the edge serves on (tests).
	edgeListener net.Listener
	// tracer, when set, replaces the OTLP/no-op provider (tests).
	tracer trace.TracerProvider
}

func init() {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run Portico's services (all of them, with an embedded NATS server, by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:8080", "edge HTTP listen address")
	f.StringVar(&o.adminAddr, "admin-addr", "127.0.0.1:9080", "admin (control plane) listen address")
	f.StringVar(&o.natsAddr, "nats-addr", "127.0.0.1:4222", "client address of the embedded NATS server")
	f.StringVar(&o.dataDir, "data-dir", "./.portico", "directory for the embedded NATS server's JetStream store")
	f.StringVar(&o.redisURL, "redis", "", "Redis URL for distributed throttling (unset: in-memory limiter)")
	f.StringVar(&o.services, "services", strings.Join(allRoles, ","), "comma-separated roles to run: "+strings.Join(allRoles, ","))
	f.StringVar(&o.natsURL, "nats", "", "URL of an external NATS server (set: no embedded server)")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&o.edgeID, "edge-id", "", "this edge's id on the bus (default random)")
	f.Float64Var(&o.accountRate, "account-rate", 10000, "account-wide throttle across all edges, requests/s (0: off)")
	f.Int64Var(&o.accountBurst, "account-burst", 5000, "account-wide throttle burst")
	f.Int64Var(&o.cacheMaxBytes, "cache-max-bytes", edge.DefaultConfig().CacheMaxBytes, "memory one edge gives the stage cache, all stages together (0: no stage cache)")
	f.BoolVar(&o.natsInProcess, "nats-in-process", false, "reach the embedded NATS server in memory instead of over loopback TCP (for measurements; TCP costs less CPU per request)")
	f.Bool("nats-over-tcp", true, "loopback TCP to the embedded NATS server (the default now)")
	_ = f.MarkDeprecated("nats-over-tcp", "loopback TCP is the default; --nats-in-process picks the in-memory connection")
	f.StringVar(&o.tlsAddr, "tls-addr", "", "also serve HTTPS on this address (needs --tls-cert and --tls-key)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate (chain) for --tls-addr")
	f.StringVar(&o.tlsKey, "tls-key", "", "PEM private key for --tls-addr")
	f.StringVar(&o.truststore, "truststore", "", "PEM bundle of CA certificates: clients on --tls-addr must present a certificate they issued (mutual TLS)")
	f.IntVar(&o.kvReplicas, "kv-replicas", 1, "replicas of the JetStream KV buckets Portico creates (1 embedded; 3 on a NATS cluster)")
	f.BoolVar(&o.jwtAllowHTTP, "jwt-allow-http", false, "let JWT authorizers use http:// issuers and key sets (a local identity provider; AWS requires https)")
	f.StringVar(&o.throttleOutage, "throttle-outage", "fail-open", "what throttling does while ratelimit or Redis is down: fail-open (a local per-edge limit) or fail-closed (refuse); a stage overrides it with the stage variable portico_throttle_outage")
	o.ws = ws.DefaultConfig()
	f.IntVar(&o.ws.MaxFrameBytes, "ws-max-frame-bytes", o.ws.MaxFrameBytes, "WebSocket frame size bound (larger: close 1009)")
	f.IntVar(&o.ws.MaxMessageBytes, "ws-max-message-bytes", o.ws.MaxMessageBytes, "WebSocket message size bound")
	f.DurationVar(&o.ws.IdleTimeout, "ws-idle-timeout", o.ws.IdleTimeout, "close WebSocket connections idle this long")
	f.DurationVar(&o.ws.MaxLifetime, "ws-max-lifetime", o.ws.MaxLifetime, "close WebSocket connections older than this")
	f.IntVar(&o.ws.MaxConns, "ws-max-connections", o.ws.MaxConns, "WebSocket connections one edge holds at most")
	f.IntVar(&o.ws.SendQueue, "ws-send-queue", o.ws.SendQueue, "messages queued per WebSocket connection before a slow reader is disconnected")
	f.StringVar(&o.debugAddr, "debug-addr", "", "serve Prometheus /metrics and /debug/pprof/ on this address (unset: off)")
	rootCmd.AddCommand(cmd)
	addConfigFile(cmd, &o)
}

func parseRoles(list string) (map[string]bool, error) {
	roles := map[string]bool{}
	for _, r := range strings.Split(list, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		known := false
		for _, a := range allRoles {
			known = known || a == r
		}
		if !known {
			return nil, fmt.Errorf("--services: unknown role %q (want some of %s)", r, strings.Join(allRoles, ","))
		}
		roles[r] = true
	}
	if len(roles) == 0 {
		return nil, errors.New("--services: no role given")
	}
	return roles, nil
}

// checkFree fails with a message naming the flag when addr is taken.
func checkFree(flag, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s %s: address unavailable: %w", flag, addr, err)
	}
	return ln.Close()
}

func serve(ctx context.Context, o serveOptions) error {
	runtimeDefaults()
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := telemetry.Logger(level)
	roles, err := parseRoles(o.services)
	if err != nil {
		return err
	}
	if roles["edge"] {
		if err := checkFree("--http-addr", o.httpAddr); err != nil {
			return err
		}
	}
	if roles["admin"] {
		if err := checkFree("--admin-addr", o.adminAddr); err != nil {
			return err
		}
	}

	natsURL := o.natsURL
	connOpts := []nats.Option{nats.Name("portico"), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	if natsURL == "" {
		ns, err := startEmbeddedNATS(o.natsAddr, o.dataDir)
		if err != nil {
			return err
		}
		defer func() {
			ns.Shutdown()
			ns.WaitForShutdown()
		}()
		natsURL = ns.ClientURL()
		// The roles in this process reach the embedded server over loopback TCP unless
		// --nats-in-process: net.Pipe hands every write to the server synchronously, so the
		// server forwards smaller batches to backends. Measured on 2 cores (wrk -t2 -c64,
		// GET /pets/1): portico + petstore CPU per request 66-69 -> 51-62 µs over TCP.
		if o.natsInProcess {
			connOpts = append(connOpts, nats.InProcessServer(ns))
		}
		log.Info("embedded NATS server started", "url", natsURL, "store", filepath.Join(o.dataDir, "jetstream"))
	}
	nc, err := nats.Connect(natsURL, connOpts...)
	if err != nil {
		return fmt.Errorf("--nats %s: %w", natsURL, err)
	}
	defer nc.Close()

	tp, shutdownTracing, err := telemetry.TracerProvider(ctx, "portico")
	if err != nil {
		return err
	}
	if o.tracer != nil {
		tp = o.tracer
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdownTracing(sctx)
	}()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	runners, err := buildRoles(o, roles, runtimeDeps{log: log, tracer: tp, reg: reg, nc: nc})
	if err != nil {
		return err
	}
	if o.debugAddr != "" {
		stopDebug, err := serveDebug(o.debugAddr, reg)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, r := range runners {
		g.Go(func() error {
			if err := r.run(gctx); err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			return nil
		})
	}
	err = g.Wait()
	if err == nil {
		log.Info("portico stopped cleanly")
	}
	return err
}

type runtimeDeps struct {
	log    *slog.Logger
	tracer trace.TracerProvider
	reg    *prometheus.Registry
	nc     *nats.Conn
}

type runner struct {
	name string
	run  func(context.Context) error
}

func startEmbeddedNATS(addr, dataDir string) (*server.Server, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--nats-addr %q: %w", addr, err)
	}
	port, err := net.LookupPort("tcp", portStr)
	if err != nil {
		return nil, fmt.Errorf("--nats-addr %q: %w", addr, err)
	}
	if err := checkFree("--nats-addr", addr); err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName: "portico",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   filepath.Join(dataDir, "jetstream"),
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: 16 << 20,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("--nats-addr %s: embedded NATS server did not start", addr)
	}
	return ns, nil
}
