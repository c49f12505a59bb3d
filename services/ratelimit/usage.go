package ratelimit

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/tokenbucket"
	"github.com/portico/portico/pkg/wire"
)

// serveUsage answers a UsageRequest: it reads or sets a quota's usage in its current period.
func (s *Service) serveUsage(m *nats.Msg) {
	ctx, cancel := context.WithTimeout(telemetry.Extract(context.Background(), m), s.cfg.RedisTimeout*10)
	defer cancel()
	reply := s.usage(ctx, m.Data)
	if b, err := wire.Marshal(reply); err == nil {
		_ = m.Respond(b)
	}
}

func (s *Service) usage(ctx context.Context, data []byte) wire.UsageReply {
	var req wire.UsageRequest
	if err := wire.Unmarshal(data, &req); err != nil {
		return wire.UsageReply{Code: wire.CodeBadRequest, Message: "malformed usage request"}
	}
	qs, ok := s.store.(tokenbucket.QuotaStore)
	if !ok {
		return wire.UsageReply{Code: wire.CodeInternal, Message: "store keeps no quotas"}
	}
	period, err := tokenbucket.ParsePeriod(req.Period)
	if err != nil {
		return wire.UsageReply{Code: wire.CodeBadRequest, Message: err.Error()}
	}
	if req.Set != nil {
		if err := qs.SetUsage(ctx, req.Key, period, req.Offset, *req.Set); err != nil {
			return s.usageFailed(err)
		}
	}
	used, err := qs.Usage(ctx, req.Key, period, req.Offset)
	if err != nil {
		return s.usageFailed(err)
	}
	reply := wire.UsageReply{Used: used}
	if req.ToDay != 0 {
		if reply.Days, err = qs.DailyUsage(ctx, req.Key, req.FromDay, req.ToDay); err != nil {
			return s.usageFailed(err)
		}
	}
	return reply
}

func (s *Service) usageFailed(err error) wire.UsageReply {
	if errors.Is(err, tokenbucket.ErrInvalid) {
		return wire.UsageReply{Code: wire.CodeBadRequest, Message: err.Error()}
	}
	s.log.Warn("quota usage store error", "err", err)
	return wire.UsageReply{Code: wire.CodeUnavailable, Message: "usage store unavailable"}
}
