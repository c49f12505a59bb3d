package edge

import (
	"context"
	"strings"

	"github.com/valyala/fasthttp"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// limit is one token bucket a request must take a token from.
type limit struct {
	key   string
	rate  float64
	burst int64
}

// OutagePolicyVariable is the stage variable that picks a stage's throttling outage policy:
// "fail-closed" refuses requests while the limiter's store is unreachable; anything else is
// fail-open (admit through a local per-edge limit).
const OutagePolicyVariable = "portico_throttle_outage"

// limiterFor is the throttler of a stage: the fail-closed one when the stage asks for it.
func (s *Service) limiterFor(st *stageState) Throttler {
	if st.failClosed && s.deps.ClosedLimiter != nil {
		return s.deps.ClosedLimiter
	}
	return s.deps.Limiter
}

// accountKey is the bucket of the account-wide limit, shared by every edge.
const accountKey = "account"

// MethodSettingKey is AWS's methodSettings key of a resource path and method:
// "/pets/{id}" GET → "~1pets~1{id}/GET"; "*/*" holds the stage defaults.
func MethodSettingKey(resourcePath, method string) string {
	return strings.ReplaceAll(resourcePath, "/", "~1") + "/" + method
}

// stageLimits computes, once per deployment, the buckets each route of a stage spends from, as
// AWS applies them: the account limit, then the method's own setting or else the stage default.
// The usage plan of the caller's API key comes on top, per request.
func (s *Service) stageLimits(st *stageState) {
	st.failClosed = st.stage.Variables[OutagePolicyVariable] == "fail-closed"
	account := limit{key: accountKey, rate: s.cfg.AccountRate, burst: s.cfg.AccountBurst}
	stageDefault, hasDefault := st.stage.MethodSettings[model.StageDefaults]
	set := func(t *target) {
		t.limits = t.limits[:0]
		if account.rate > 0 {
			t.limits = append(t.limits, account)
		}
		ms, ok := st.stage.MethodSettings[MethodSettingKey(t.resourcePath, t.method)]
		key := st.throttleKey + "/" + t.method + " " + t.resourcePath
		if !ok || ms.ThrottlingRateLimit <= 0 {
			ms, ok, key = stageDefault, hasDefault, st.throttleKey
		}
		if ok && ms.ThrottlingRateLimit > 0 {
			t.limits = append(t.limits, limit{key: key, rate: ms.ThrottlingRateLimit, burst: ms.ThrottlingBurstLimit})
		}
	}
	st.routes.Each(func(_, _ string, t *target) { set(t) })
	if st.defaultRoute != nil {
		set(st.defaultRoute)
	}
}

// throttle spends a token from every bucket the request falls under; false means the response
// (429, or 503 when the limiter is down and the policy is fail-closed) is written.
func (s *Service) throttle(ctx context.Context, r *request) bool {
	for _, l := range r.t.limits {
		if !s.spend(ctx, r, l.key, l.rate, l.burst) {
			return false
		}
	}
	p := r.decision.UsagePlan
	if p == nil {
		return true
	}
	if p.Rate > 0 && !s.spend(ctx, r, "plan/"+p.PlanID+"/"+r.decision.UsageKey, p.Rate, p.Burst) {
		return false
	}
	if p.QuotaLimit > 0 {
		ok, code := s.limiterFor(r.st).AllowQuota(ctx, wire.QuotaKey(p.PlanID, r.decision.UsageKey), p.QuotaLimit, p.QuotaPeriod, p.QuotaOffset)
		if !ok {
			s.refuse(r, code)
			return false
		}
	}
	return true
}

func (s *Service) spend(ctx context.Context, r *request, key string, rate float64, burst int64) bool {
	ok, code := s.limiterFor(r.st).Allow(ctx, key, rate, burst)
	if !ok {
		s.refuse(r, code)
	}
	return ok
}

// refuse answers a request the limiter refused with code.
func (s *Service) refuse(r *request, code string) {
	switch code {
	case wire.CodeUnavailable:
		s.gatewayError(r, gw.Default5XX, "Service Unavailable")
		r.ctx.Response.SetStatusCode(fasthttp.StatusServiceUnavailable)
	case wire.CodeQuotaExceeded:
		s.gatewayError(r, gw.QuotaExceeded, "")
	default:
		s.gatewayError(r, gw.Throttled, "")
	}
}
