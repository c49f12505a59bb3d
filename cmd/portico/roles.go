package main

import (
	"context"
	"fmt"
	"os"

	"github.com/portico/portico/pkg/authzclient"
	"github.com/portico/portico/pkg/lease"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/tokenbucket"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/admin"
	"github.com/portico/portico/services/authz"
	"github.com/portico/portico/services/connections"
	"github.com/portico/portico/services/edge"
	"github.com/portico/portico/services/edge/ws"
	"github.com/portico/portico/services/ratelimit"
)

// limiterAdapter lets pkg/lease's Limiter serve as the edge's Throttler.
type limiterAdapter struct{ l *lease.Limiter }

func (a limiterAdapter) Allow(ctx context.Context, key string, rate float64, burst int64) (bool, string) {
	d := a.l.Allow(ctx, key, rate, burst)
	return d.Allowed, d.Code
}

func (a limiterAdapter) AllowQuota(ctx context.Context, key string, limit int64, period string, offset int) (bool, string) {
	p, err := tokenbucket.ParsePeriod(period)
	if err != nil {
		return false, wire.CodeInternal
	}
	d := a.l.AllowQuota(ctx, key, limit, p, offset)
	return d.Allowed, d.Code
}

// serveAdminCredentials reads the admin credentials; in serve with neither set, test/test and a
// warning.
func serveAdminCredentials(d runtimeDeps) (id, secret string) {
	id, secret = os.Getenv("PORTICO_ADMIN_ACCESS_KEY_ID"), os.Getenv("PORTICO_ADMIN_SECRET_ACCESS_KEY")
	if id == "" && secret == "" {
		d.log.Warn("PORTICO_ADMIN_ACCESS_KEY_ID and PORTICO_ADMIN_SECRET_ACCESS_KEY unset: admin accepts test/test")
		return "test", "test"
	}
	return id, secret
}

// buildRoles constructs the selected services; nothing starts until their run funcs are called.
func buildRoles(o serveOptions, roles map[string]bool, d runtimeDeps) ([]runner, error) {
	var rs []runner
	var adminID, adminSecret string
	// authzReady, when authz runs in this process, holds the edge back until authz answers, so
	// that a (re)started process never refuses a valid key while authz is still loading.
	var authzReady <-chan struct{}
	if roles["admin"] || roles["authz"] {
		adminID, adminSecret = serveAdminCredentials(d)
	}
	if roles["admin"] {
		cfg := admin.DefaultConfig()
		cfg.Addr = o.adminAddr
		cfg.EdgeURL = "http://" + o.httpAddr
		cfg.AccessKeyID, cfg.SecretAccessKey = adminID, adminSecret
		cfg.KVReplicas = o.replicas()
		svc, err := admin.New(cfg, admin.Deps{Logger: d.log, Tracer: d.tracer, Metrics: d.reg, NATS: d.nc})
		if err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
		rs = append(rs, runner{"admin", svc.Run})
	}
	if roles["authz"] {
		cfg := authz.DefaultConfig()
		cfg.AdminAccessKeyID, cfg.AdminSecretAccessKey = adminID, adminSecret
		cfg.JWT.AllowHTTP = o.jwtAllowHTTP
		cfg.KVReplicas = o.replicas()
		svc, err := authz.New(cfg, authz.Deps{Logger: d.log, Tracer: d.tracer, Metrics: d.reg, NATS: d.nc})
		if err != nil {
			return nil, fmt.Errorf("authz: %w", err)
		}
		rs = append(rs, runner{"authz", svc.Run})
		authzReady = svc.Ready()
	}
	if roles["ratelimit"] {
		cfg := ratelimit.DefaultConfig()
		cfg.RedisURL = o.redisURL
		svc, err := ratelimit.New(cfg, ratelimit.Deps{Logger: d.log, Tracer: d.tracer, Metrics: d.reg, NATS: d.nc})
		if err != nil {
			return nil, fmt.Errorf("ratelimit: %w", err)
		}
		rs = append(rs, runner{"ratelimit", svc.Run})
	}
	if roles["connections"] {
		ccfg := connections.DefaultConfig()
		ccfg.KVReplicas = o.replicas()
		svc, err := connections.New(ccfg, connections.Deps{Logger: d.log, Tracer: d.tracer, Metrics: d.reg, NATS: d.nc})
		if err != nil {
			return nil, fmt.Errorf("connections: %w", err)
		}
		rs = append(rs, runner{"connections", svc.Run})
	}
	if roles["edge"] {
		ac, err := authzclient.New(d.nc, authzclient.DefaultConfig(), authzclient.WithTracerProvider(d.tracer), authzclient.WithLogger(d.log))
		if err != nil {
			return nil, fmt.Errorf("edge authz client: %w", err)
		}
		lcfg := lease.DefaultConfig()
		lcfg.Tracer, lcfg.Logger, lcfg.EdgeID = d.tracer, d.log, o.edgeID
		if o.throttleOutage != "" {
			p, err := lease.ParsePolicy(o.throttleOutage)
			if err != nil {
				return nil, fmt.Errorf("--throttle-outage: %w", err)
			}
			lcfg.Policy = p
		}
		lim := lease.New(d.nc, lcfg)
		closedCfg := lcfg
		closedCfg.Policy = lease.FailClosed
		closedLim := lease.New(d.nc, closedCfg)
		cfg := edge.DefaultConfig()
		cfg.Addr = o.httpAddr
		cfg.EdgeID = o.edgeID
		cfg.AccountRate, cfg.AccountBurst = o.accountRate, o.accountBurst
		cfg.KVReplicas = o.replicas()
		if o.ws.MaxFrameBytes != 0 { // tests build serveOptions without flags: keep the defaults
			cfg.WebSocket = o.ws
			cfg.CacheMaxBytes = o.cacheMaxBytes
		}
		cfg.TLS = edge.TLSConfig{Addr: o.tlsAddr, CertFile: o.tlsCert, KeyFile: o.tlsKey, Truststore: o.truststore}
		// @connections: the admin credentials always, IAM credentials with execute-api:ManageConnections.
		adminID, adminSecret := serveAdminCredentials(d)
		manageAuth := ws.SigV4Auth{Admin: []sigv4.Credentials{{AccessKeyID: adminID, SecretAccessKey: adminSecret}}, IAM: ac}
		svc, err := edge.New(cfg, edge.Deps{Logger: d.log, Tracer: d.tracer, Metrics: d.reg, NATS: d.nc,
			Authz: ac, Limiter: limiterAdapter{lim}, ClosedLimiter: limiterAdapter{closedLim}, Listener: o.edgeListener, WebSocketManageAuth: manageAuth.Func()})
		if err != nil {
			return nil, fmt.Errorf("edge: %w", err)
		}
		rs = append(rs, runner{"edge", func(ctx context.Context) error {
			if authzReady != nil {
				select {
				case <-authzReady:
				case <-ctx.Done():
					return nil
				}
			}
			if err := ac.Start(ctx); err != nil {
				return err
			}
			return svc.Run(ctx)
		}})
	}
	return rs, nil
}

// replicas is the KV replica count to create buckets with (tests leave it 0: one).
func (o serveOptions) replicas() int { return max(o.kvReplicas, 1) }
