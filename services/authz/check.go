package authz

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

// Public messages of denials, as AWS words them.
const (
	msgForbidden  = "Forbidden"
	msgBadRequest = "Bad request"
)

func (s *Service) handle(msg *nats.Msg) {
	ctx := telemetry.Extract(context.Background(), msg)
	_, span := s.tracer.Start(ctx, "authz check", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()

	d, result := s.decideBytes(msg.Data)
	switch result {
	case resultAllow:
		s.metrics.allow.Inc()
	case resultDeny:
		s.metrics.deny.Inc()
	default:
		s.metrics.bad.Inc()
		span.SetStatus(codes.Error, "bad request")
	}
	span.SetAttributes(attribute.String("portico.authz.result", result))

	body, err := wire.Marshal(d)
	if err != nil {
		s.log.Error("encoding decision failed", "err", err)
		return
	}
	if err := msg.Respond(body); err != nil {
		s.log.Warn("replying to check failed", "err", err)
	}
}

// decideBytes decodes a request and decides it.
func (s *Service) decideBytes(data []byte) (wire.AuthzDecision, string) {
	var req wire.AuthzRequest
	if len(data) > s.cfg.MaxRequestBytes || wire.Unmarshal(data, &req) != nil || req.APIID == "" || req.Stage == "" {
		return wire.AuthzDecision{Code: wire.CodeBadRequest, Message: msgBadRequest}, resultError
	}
	return s.decide(&req)
}

// decide answers req. Each authorizer is one step; today that is the API key.
func (s *Service) decide(req *wire.AuthzRequest) (wire.AuthzDecision, string) {
	allow := wire.AuthzDecision{Allow: true, TTLSeconds: int(s.cfg.ResultTTL.Seconds())}
	if !req.NeedAPIKey {
		return allow, resultAllow
	}
	deny := wire.AuthzDecision{Code: wire.CodeForbidden, Message: msgForbidden, TTLSeconds: int(s.cfg.DenyTTL.Seconds())}
	if req.APIKey == "" {
		s.log.Debug("api key missing", "api_id", req.APIID, "stage", req.Stage)
		return deny, resultDeny
	}
	hash := model.HashAPIKey(req.APIKey)
	k, ok := s.keys.Lookup(hash)
	switch {
	case !ok:
		s.log.Debug("api key unknown", "api_id", req.APIID, "stage", req.Stage, "hash_prefix", hash[:8])
		return deny, resultDeny
	case !k.Enabled:
		s.log.Debug("api key disabled", "api_id", req.APIID, "stage", req.Stage, "key_id", k.ID)
		return deny, resultDeny
	case !k.Allows(req.APIID, req.Stage):
		s.log.Debug("api key not bound to stage", "api_id", req.APIID, "stage", req.Stage, "key_id", k.ID)
		return deny, resultDeny
	}
	allow.APIKeyID = k.ID
	allow.UsageKey = k.ID
	return allow, resultAllow
}
