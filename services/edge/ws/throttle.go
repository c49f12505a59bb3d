package ws

import (
	"context"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// msgThrottled is the error frame's message for a throttled message, as AWS words it.
const msgThrottled = "Too Many Requests"

// allow spends a token for a message (or handshake) on routeKey: the route's own rate limit when
// the stage sets one, else the stage default. It returns the refusal's code, or "" when allowed.
func (h *Hub) allow(ctx context.Context, t Target, routeKey string) string {
	if h.deps.Throttle == nil || len(t.Settings) == 0 {
		return ""
	}
	key := "ws/" + t.APIID + "/" + t.Stage
	ms, ok := t.Settings[routeKey]
	if ok && ms.ThrottlingRateLimit > 0 {
		key += "/" + routeKey
	} else if ms, ok = t.Settings[model.StageDefaults]; !ok || ms.ThrottlingRateLimit <= 0 {
		return ""
	}
	allowed, code := h.deps.Throttle(ctx, key, ms.ThrottlingRateLimit, ms.ThrottlingBurstLimit)
	if allowed {
		return ""
	}
	if code == "" {
		code = wire.CodeThrottled
	}
	return code
}
