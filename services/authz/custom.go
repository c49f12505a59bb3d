package authz

import (
	"context"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico/portico/pkg/authzclient"
	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/authz/internal/authorizer"
)

// Custom authorizer TTLs (authorizerResultTtlInSeconds), as AWS.
const (
	defaultCustomTTL = 300
	maxCustomTTL     = 3600
	// maxValidationExprs bounds the compiled identityValidationExpressions kept.
	maxValidationExprs = 1024
	maxExprBytes       = 1024
)

// customTTL is an authorizer's result TTL: nil means 300, clamped to [0, 3600].
func customTTL(a *wire.CustomAuthorizer) int {
	if a.TTLSeconds == nil {
		return defaultCustomTTL
	}
	return min(max(*a.TTLSeconds, 0), maxCustomTTL)
}

func customDeny(code, msg, gateway string, ttl int) wire.AuthzDecision {
	return wire.AuthzDecision{Code: code, Message: msg, GatewayResponse: gateway, TTLSeconds: ttl}
}

// decideCustom asks a custom authorizer's function; ok false carries the denial. An allow
// from a policy answer carries the policy, which the client caches and evaluates per method
// ARN.
func (s *Service) decideCustom(ctx context.Context, req *wire.AuthzRequest, allow wire.AuthzDecision) (wire.AuthzDecision, string, bool) {
	a := req.Custom
	attrs := []any{"api_id", req.APIID, "stage", req.Stage, "authorizer_id", a.ID}
	if (a.Type != wire.AuthorizerToken && a.Type != wire.AuthorizerRequest) || !validSubject(a.FunctionSubject) ||
		(a.PayloadFormat != "" && a.PayloadFormat != "1.0" && a.PayloadFormat != "2.0") {
		s.log.Error("custom authorizer misconfigured", attrs...)
		return customDeny(wire.CodeInternal, msgInternal, authzclient.GatewayAuthError, 0), resultError, false
	}
	ttl := customTTL(a)
	values, ok := authzclient.IdentityValues(req)
	if !ok {
		s.log.Debug("custom authorizer identity source missing", attrs...)
		return customDeny(wire.CodeUnauthorized, msgUnauthorized, authzclient.GatewayUnauth, 0), resultDeny, false
	}
	if a.Type == wire.AuthorizerToken && a.IdentityValidationExpression != "" {
		re, err := s.exprs.get(a.IdentityValidationExpression)
		if err != nil {
			s.log.Error("custom authorizer validation expression invalid", append(attrs, "err", err)...)
			return customDeny(wire.CodeInternal, msgInternal, authzclient.GatewayAuthError, 0), resultError, false
		}
		if !re.MatchString(values[0]) {
			s.log.Debug("custom authorizer token fails validation expression", attrs...)
			return customDeny(wire.CodeUnauthorized, msgUnauthorized, authzclient.GatewayUnauth, min(ttl, int(s.cfg.DenyTTL.Seconds()))), resultDeny, false
		}
	}
	digest := authzclient.SourcesDigest(req)
	allow.CacheKeyExtra = hex.EncodeToString(digest[:8])
	allow.TTLSeconds = ttl

	ans, d, result, ok := s.invoke(ctx, req, values, attrs)
	if !ok {
		return d, result, false
	}
	if ans.Unauthorized {
		s.log.Debug("custom authorizer answered unauthorized", attrs...)
		return customDeny(wire.CodeUnauthorized, msgUnauthorized, authzclient.GatewayUnauth, min(ttl, int(s.cfg.DenyTTL.Seconds()))), resultDeny, false
	}
	if ans.Simple {
		if !ans.IsAuthorized {
			return customDeny(wire.CodeForbidden, msgForbidden, "ACCESS_DENIED", ttl), resultDeny, false
		}
		allow.Context = ans.Context
		return allow, resultAllow, true
	}
	allow.PrincipalID = ans.PrincipalID
	allow.Context = ans.Context
	allow.UsageKey = ans.UsageKey
	allow.Policy = ans.PolicyJSON
	if ans.Policy.Evaluate(&iampolicy.Request{Action: iampolicy.ActionInvoke, Resource: req.MethodARN}) != iampolicy.Allow {
		deny := authzclient.ExplicitDenyDecision()
		allow.Allow, allow.Code, allow.Message, allow.GatewayResponse, allow.CapitalMessage = false, deny.Code, deny.Message, deny.GatewayResponse, true
		return allow, resultDeny, false
	}
	return allow, resultAllow, true
}

// invoke sends the event to the function and parses its answer; ok false carries the
// failure decision.
func (s *Service) invoke(ctx context.Context, req *wire.AuthzRequest, values []string, attrs []any) (*authorizer.Answer, wire.AuthzDecision, string, bool) {
	a := req.Custom
	fail := func(gateway string) (*authorizer.Answer, wire.AuthzDecision, string, bool) {
		return nil, customDeny(wire.CodeInternal, msgInternal, gateway, 0), resultError, false
	}
	body, err := authorizer.Event(req, values, s.now())
	if err != nil {
		s.log.Error("encoding authorizer event failed", append(attrs, "err", err)...)
		return fail(authzclient.GatewayAuthError)
	}
	ctx, span := s.tracer.Start(ctx, "authorizer invoke", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("portico.authorizer_id", a.ID), attribute.String("messaging.destination.name", a.FunctionSubject)))
	defer span.End()
	msg := &nats.Msg{Subject: a.FunctionSubject, Data: body, Header: nats.Header{}}
	telemetry.Inject(ctx, msg)
	rctx, cancel := context.WithTimeout(ctx, s.cfg.Custom.Timeout)
	defer cancel()
	s.metrics.customCalls.Inc()
	reply, err := s.nc.RequestMsgWithContext(rctx, msg)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "authorizer failed")
		if errors.Is(err, nats.ErrNoResponders) {
			s.log.Warn("custom authorizer has no responders", attrs...)
		} else {
			s.log.Warn("custom authorizer failed", append(attrs, "err", err)...)
		}
		return fail(authzclient.GatewayAuthFail)
	}
	if desc := reply.Header.Get(wire.HeaderServiceError); desc != "" || reply.Header.Get(wire.HeaderServiceErrorCode) != "" {
		if desc == msgUnauthorized {
			return &authorizer.Answer{Unauthorized: true}, wire.AuthzDecision{}, "", true
		}
		span.SetStatus(codes.Error, "authorizer error")
		s.log.Warn("custom authorizer answered an error", append(attrs, "code", reply.Header.Get(wire.HeaderServiceErrorCode))...)
		return fail(authzclient.GatewayAuthError)
	}
	if len(reply.Data) > s.cfg.Custom.MaxReplyBytes {
		s.log.Warn("custom authorizer answer too large", append(attrs, "bytes", len(reply.Data))...)
		return fail(authzclient.GatewayAuthError)
	}
	simple := a.PayloadFormat == "2.0" && a.EnableSimpleResponses
	ans, err := authorizer.ParseAnswer(reply.Data, simple)
	if err != nil {
		span.SetStatus(codes.Error, "malformed authorizer answer")
		s.log.Warn("custom authorizer answer malformed", append(attrs, "err", err)...)
		return fail(authzclient.GatewayAuthError)
	}
	return ans, wire.AuthzDecision{}, "", true
}

// validSubject accepts a publishable NATS subject: tokens separated by dots, no wildcards or
// white space.
func validSubject(s string) bool {
	if s == "" || len(s) > 512 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	return !strings.ContainsAny(s, " \t\r\n*>")
}

// exprCache keeps compiled identityValidationExpressions.
type exprCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

func (c *exprCache) get(expr string) (*regexp.Regexp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if re, ok := c.m[expr]; ok {
		return re, nil
	}
	if len(expr) > maxExprBytes {
		return nil, errors.New("expression too long")
	}
	// AWS matches the whole token (Java's Pattern.matches).
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		return nil, err
	}
	if c.m == nil || len(c.m) >= maxValidationExprs {
		c.m = make(map[string]*regexp.Regexp)
	}
	c.m[expr] = re
	return re, nil
}
