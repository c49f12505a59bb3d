package authz

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/authz/internal/jwtauth"
	"github.com/portico/portico/services/authz/internal/keyindex"
)

// Public messages of denials, as AWS words them.
const (
	msgForbidden    = "Forbidden"
	msgUnauthorized = "Unauthorized"
	msgBadRequest   = "Bad request"
	msgInternal     = "Internal server error"
)

// handle answers one check. API-key checks are map lookups and run on the subscription's
// goroutine; JWT checks may fetch a key set and run on goroutines of their own, up to
// JWT.MaxConcurrent.
func (s *Service) handle(msg *nats.Msg) {
	req, ok := s.decodeRequest(msg.Data)
	if !ok || (req.JWT == nil && req.Custom == nil) {
		s.answer(msg, req, ok)
		return
	}
	sem := s.jwtSem
	if req.Custom != nil {
		sem = s.customSem
	}
	select {
	case sem <- struct{}{}:
		s.jwtMu.Lock()
		if s.jwtClosed { // draining: answer inline
			s.jwtMu.Unlock()
			<-sem
			s.answer(msg, req, ok)
			return
		}
		s.jwtWG.Add(1)
		s.jwtMu.Unlock()
		go func() {
			defer s.jwtWG.Done()
			defer func() { <-sem }()
			s.answer(msg, req, ok)
		}()
	default:
		s.answer(msg, req, ok)
	}
}

func (s *Service) answer(msg *nats.Msg, req *wire.AuthzRequest, valid bool) {
	ctx := telemetry.Extract(context.Background(), msg)
	ctx, span := s.tracer.Start(ctx, "authz check", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()

	d, result := wire.AuthzDecision{Code: wire.CodeBadRequest, Message: msgBadRequest}, resultError
	if valid {
		d, result = s.decide(ctx, req)
	}
	switch result {
	case resultAllow:
		s.metrics.allow.Inc()
	case resultDeny:
		s.metrics.deny.Inc()
	default:
		s.metrics.bad.Inc()
		span.SetStatus(codes.Error, d.Code)
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

// decodeRequest decodes and bounds a request.
func (s *Service) decodeRequest(data []byte) (*wire.AuthzRequest, bool) {
	var req wire.AuthzRequest
	if len(data) > s.cfg.MaxRequestBytes || wire.Unmarshal(data, &req) != nil || req.APIID == "" || req.Stage == "" {
		return nil, false
	}
	return &req, true
}

// decideBytes decodes a request and decides it.
func (s *Service) decideBytes(ctx context.Context, data []byte) (wire.AuthzDecision, string) {
	req, ok := s.decodeRequest(data)
	if !ok {
		return wire.AuthzDecision{Code: wire.CodeBadRequest, Message: msgBadRequest}, resultError
	}
	return s.decide(ctx, req)
}

// decide answers req: every authorizer the route has must allow it (JWT, then API key).
func (s *Service) decide(ctx context.Context, req *wire.AuthzRequest) (wire.AuthzDecision, string) {
	allow := wire.AuthzDecision{Allow: true, TTLSeconds: int(s.cfg.ResultTTL.Seconds())}
	if req.JWT != nil {
		d, result, ok := s.decideJWT(ctx, req, allow)
		if !ok {
			return d, result
		}
		allow = d
	}
	if req.Custom != nil {
		d, result, ok := s.decideCustom(ctx, req, allow)
		if !ok {
			return d, result
		}
		allow = d
	}
	if req.NeedAPIKey {
		if req.APIKey == "" && req.Custom != nil && allow.UsageKey != "" {
			// apiKeySource AUTHORIZER: the authorizer's usageIdentifierKey is the key.
			req.APIKey = allow.UsageKey
		}
		id, d, ok := s.decideAPIKey(ctx, req)
		if !ok {
			return d, resultDeny
		}
		allow.APIKeyID = id
		allow.UsageKey = id
		if p, ok := s.plans.lookup(id, req.APIID, req.Stage, req.Method, req.ResourcePath); ok {
			allow.UsagePlan = p
		}
	}
	return allow, resultAllow
}

func (s *Service) deny(code, msg string) wire.AuthzDecision {
	return wire.AuthzDecision{Code: code, Message: msg, TTLSeconds: int(s.cfg.DenyTTL.Seconds())}
}

// decideAPIKey checks the request's API key; ok false carries the denial.
func (s *Service) decideAPIKey(ctx context.Context, req *wire.AuthzRequest) (string, wire.AuthzDecision, bool) {
	deny := s.deny(wire.CodeForbidden, msgForbidden)
	if req.APIKey == "" {
		s.log.Debug("api key missing", "api_id", req.APIID, "stage", req.Stage)
		return "", deny, false
	}
	hash := model.HashAPIKey(req.APIKey)
	k, ok := s.keys.Lookup(hash)
	if !ok {
		k, ok = s.readThrough(ctx, hash)
	}
	switch {
	case !ok:
		s.log.Debug("api key unknown", "api_id", req.APIID, "stage", req.Stage, "hash_prefix", hash[:8])
		return "", deny, false
	case !k.Enabled:
		s.log.Debug("api key disabled", "api_id", req.APIID, "stage", req.Stage, "key_id", k.ID)
		return "", deny, false
	case !k.Allows(req.APIID, req.Stage) && !s.inPlan(k.ID, req):
		s.log.Debug("api key not bound to stage", "api_id", req.APIID, "stage", req.Stage, "key_id", k.ID)
		return "", deny, false
	}
	return k.ID, wire.AuthzDecision{}, true
}

// inPlan reports whether a usage plan binds the key to the request's API stage (AWS's way of
// enabling a key on a stage; stageKeys on the key are the older way).
func (s *Service) inPlan(keyID string, req *wire.AuthzRequest) bool {
	_, ok := s.plans.lookup(keyID, req.APIID, req.Stage, req.Method, req.ResourcePath)
	return ok
}

// readThrough looks an unknown key up in the bucket itself, so that a key used right after
// admin created it is not refused while the watch is still on its way. A key found is put in
// the index; the watch's own update for it then changes nothing.
func (s *Service) readThrough(ctx context.Context, hash string) (*keyindex.Key, bool) {
	if s.kv == nil {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, readThroughTimeout)
	defer cancel()
	idEntry, err := s.kv.Get(ctx, wire.KeyAPIKeyHash(hash))
	if err != nil {
		return nil, false
	}
	// the index holds the key id as a JSON string (admin writes it so); plain bytes are read too
	id := string(idEntry.Value())
	if unq, err := strconv.Unquote(id); err == nil {
		id = unq
	}
	rec, err := s.kv.Get(ctx, wire.KeyAPIKey(id))
	if err != nil {
		return nil, false
	}
	k, err := keyindex.Decode(id, rec.Value(), s.cfg.MaxRecordBytes)
	if err != nil || k.Hash != hash {
		return nil, false
	}
	if _, err := s.keys.Put(k); err != nil {
		return nil, false
	}
	return s.keys.Lookup(hash)
}

// readThroughTimeout bounds the two KV reads of readThrough.
const readThroughTimeout = 500 * time.Millisecond

// decideJWT verifies the request's token; ok false carries the denial and its result label.
func (s *Service) decideJWT(ctx context.Context, req *wire.AuthzRequest, allow wire.AuthzDecision) (wire.AuthzDecision, string, bool) {
	res, err := s.jwt.Verify(ctx, req.JWT, req.Token, req.Scopes)
	if err != nil {
		attrs := []any{"api_id", req.APIID, "stage", req.Stage, "authorizer_id", req.JWT.ID, "err", err}
		switch {
		case errors.Is(err, jwtauth.ErrConfig):
			s.log.Error("jwt authorizer misconfigured", attrs...)
			return wire.AuthzDecision{Code: wire.CodeInternal, Message: msgInternal}, resultError, false
		case errors.Is(err, jwtauth.ErrKeysUnavailable):
			s.log.Warn("jwt signing keys unavailable", attrs...)
			return wire.AuthzDecision{Code: wire.CodeUnauthorized, Message: msgUnauthorized}, resultDeny, false
		case errors.Is(err, jwtauth.ErrInsufficientScope):
			s.log.Debug("jwt lacks scope", attrs...)
			return s.deny(wire.CodeForbidden, msgForbidden), resultDeny, false
		default:
			s.log.Debug("jwt rejected", attrs...)
			return s.deny(wire.CodeUnauthorized, msgUnauthorized), resultDeny, false
		}
	}
	// An allow never outlives the token.
	left := res.Expires.Sub(s.now())
	allow.TTLSeconds = int(min(left, s.cfg.ResultTTL) / time.Second)
	if allow.TTLSeconds < 0 {
		allow.TTLSeconds = 0
	}
	allow.PrincipalID = res.Subject
	allow.Context = res.Claims
	return allow, resultAllow, true
}
