package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// planIndex holds the usage plans and which API keys each binds, fed by a KV watch: a check
// finds the plan of (key, API stage) with map lookups.
type planIndex struct {
	mu       sync.RWMutex
	plans    map[string]*model.UsagePlan
	keyPlans map[string]map[string]struct{} // API key id → plan ids
}

func newPlanIndex() *planIndex {
	return &planIndex{plans: map[string]*model.UsagePlan{}, keyPlans: map[string]map[string]struct{}{}}
}

// apply updates the index from one KV entry of usageplans.* or usageplankeys.*.
func (x *planIndex) apply(e jetstream.KeyValueEntry) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	put := e.Operation() == jetstream.KeyValuePut
	if id, ok := strings.CutPrefix(e.Key(), wire.KeyUsagePlansPrefix); ok {
		if !put {
			delete(x.plans, id)
			return nil
		}
		var p model.UsagePlan
		if err := json.Unmarshal(e.Value(), &p); err != nil {
			delete(x.plans, id) // an unreadable plan must not leave its old limits in force
			return fmt.Errorf("usage plan %s: %w", id, err)
		}
		x.plans[id] = &p
		return nil
	}
	rest, ok := strings.CutPrefix(e.Key(), wire.KeyPlanKeysPrefix)
	if !ok {
		return nil
	}
	planID, keyID, ok := strings.Cut(rest, ".")
	if !ok {
		return fmt.Errorf("usage plan key %q: want usageplankeys.{plan}.{key}", e.Key())
	}
	if !put {
		delete(x.keyPlans[keyID], planID)
		return nil
	}
	if x.keyPlans[keyID] == nil {
		x.keyPlans[keyID] = map[string]struct{}{}
	}
	x.keyPlans[keyID][planID] = struct{}{}
	return nil
}

// lookup finds the usage plan that binds keyID to apiID/stage and resolves its limits for the
// method: the plan's per-method throttle ("/path/METHOD") over its plan-wide throttle.
func (x *planIndex) lookup(keyID, apiID, stage, method, resourcePath string) (*wire.UsagePlanLimits, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for planID := range x.keyPlans[keyID] {
		p := x.plans[planID]
		if p == nil {
			continue
		}
		for _, as := range p.APIStages {
			if as.APIID != apiID || as.Stage != stage {
				continue
			}
			l := &wire.UsagePlanLimits{PlanID: p.ID}
			if p.Throttle != nil {
				l.Rate, l.Burst = p.Throttle.RateLimit, p.Throttle.BurstLimit
			}
			if ts, ok := as.Throttle[resourcePath+"/"+method]; ok && ts.RateLimit > 0 {
				l.Rate, l.Burst = ts.RateLimit, ts.BurstLimit
			}
			if q := p.Quota; q != nil && q.Limit > 0 {
				l.QuotaLimit, l.QuotaPeriod, l.QuotaOffset = q.Limit, q.Period, q.Offset
			}
			return l, true
		}
	}
	return nil, false
}

// watchPlans loads every usage plan and plan key, then returns the watch for live updates.
func (s *Service) watchPlans(ctx context.Context, kv jetstream.KeyValue) (jetstream.KeyWatcher, error) {
	w, err := kv.WatchFiltered(ctx, []string{wire.KeyUsagePlansPrefix + ">", wire.KeyPlanKeysPrefix + ">"})
	if err != nil {
		return nil, fmt.Errorf("watching usage plans: %w", err)
	}
	return w, s.initialLoad(ctx, w, "usage plans", func(e jetstream.KeyValueEntry) { s.applyPlan(e, false) })
}

// applyPlan updates the plan index; when live, edges drop their cached decisions, which carry
// plan limits.
func (s *Service) applyPlan(e jetstream.KeyValueEntry, live bool) {
	if err := s.plans.apply(e); err != nil {
		s.log.Error("usage plan record rejected", "key", e.Key(), "err", err)
	}
	if !live {
		return
	}
	if body, err := wire.Marshal(wire.Invalidation{All: true}); err == nil {
		if err := s.nc.Publish(wire.SubjectAuthzInvalidate, body); err != nil {
			s.log.Warn("publishing invalidation", "err", err)
		}
	}
}
