package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/tokenbucket"
	"github.com/portico/portico/pkg/wire"
)

// Usage plans and usage plan keys (apigateway CreateUsagePlan and friends). A plan is stored
// at wire.KeyUsagePlan as model.UsagePlan; binding an API key writes
// wire.KeyUsagePlanKey(plan, key) as model.UsagePlanKey, which authz reads to attach the
// plan's limits to the key's decisions.

// Bounds of usage plans.
const (
	maxPlanStages   = 100
	maxPlanThrottle = 100
	maxRate         = 1e9
	maxQuotaLimit   = 1 << 40
	usageDays       = 366
)

var quotaPeriods = map[string]bool{"DAY": true, "WEEK": true, "MONTH": true}

func loadUsagePlan(ctx context.Context, st *store, id string) (*model.UsagePlan, uint64, error) {
	return read[model.UsagePlan](ctx, st, tokenKey(wire.KeyUsagePlan(id), id), errNoUsagePlan())
}

func errNoUsagePlan() error { return notFound("Invalid Usage Plan ID specified") }

func checkThrottle(what string, t *model.ThrottleSettings) error {
	if t == nil {
		return nil
	}
	if t.RateLimit < 0 || t.RateLimit > maxRate || t.BurstLimit < 0 || t.BurstLimit > maxRate {
		return badRequest("%s throttle must have rateLimit and burstLimit between 0 and %g", what, maxRate)
	}
	return nil
}

// checkUsagePlan validates a plan; its API stages must exist.
func checkUsagePlan(ctx context.Context, st *store, p *model.UsagePlan) error {
	if p.Name == "" || len(p.Name) > maxNameLen {
		return badRequest("name is required (at most %d characters)", maxNameLen)
	}
	if len(p.Description) > maxDescLen {
		return badRequest("description is longer than %d characters", maxDescLen)
	}
	if err := checkThrottle("The plan's", p.Throttle); err != nil {
		return err
	}
	if q := p.Quota; q != nil {
		if !quotaPeriods[q.Period] {
			return badRequest("Invalid quota period %q: want DAY, WEEK or MONTH", q.Period)
		}
		if q.Limit < 0 || q.Limit > maxQuotaLimit || q.Offset < 0 {
			return badRequest("quota limit must be between 0 and %d and offset not negative", int64(maxQuotaLimit))
		}
		if q.Period == "DAY" && q.Offset != 0 || q.Period == "WEEK" && q.Offset > 6 || q.Period == "MONTH" && q.Offset > 27 {
			return badRequest("quota offset %d is out of range for period %s", q.Offset, q.Period)
		}
	}
	if len(p.APIStages) > maxPlanStages {
		return badRequest("too many apiStages: at most %d", maxPlanStages)
	}
	seen := map[string]bool{}
	for _, as := range p.APIStages {
		key := model.StageKey(as.APIID, as.Stage)
		if seen[key] {
			return badRequest("API stage %s appears twice", key)
		}
		seen[key] = true
		if _, _, err := loadStage(ctx, st, as.APIID, as.Stage); err != nil {
			return badRequest("Invalid stage identifier specified: %s", key)
		}
		if len(as.Throttle) > maxPlanThrottle {
			return badRequest("too many method throttles for %s: at most %d", key, maxPlanThrottle)
		}
		for m, t := range as.Throttle {
			if !validMethodPath(m) {
				return badRequest("Invalid method %q in the throttle of %s: want {resourcePath}/{METHOD}", m, key)
			}
			if err := checkThrottle("Method "+m, &t); err != nil {
				return err
			}
		}
	}
	return nil
}

// validMethodPath accepts AWS's "{resourcePath}/{httpMethod}" throttle keys ("/pets/GET", "/*/*").
func validMethodPath(k string) bool {
	i := strings.LastIndexByte(k, '/')
	if i <= 0 || !strings.HasPrefix(k, "/") {
		return false
	}
	m := k[i+1:]
	return m == "*" || restMethods[m]
}

func (s *Service) createUsagePlan(ctx context.Context, st *store, _ *http.Request, body []byte) (int, any, error) {
	var p model.UsagePlan
	if err := decodeBody(body, &p); err != nil {
		return 0, nil, err
	}
	p.ID = newID()
	if err := checkUsagePlan(ctx, st, &p); err != nil {
		return 0, nil, err
	}
	if _, err := st.create(ctx, wire.KeyUsagePlan(p.ID), &p); err != nil {
		return 0, nil, storeErr(err, "usage plan")
	}
	return http.StatusCreated, viewUsagePlan(&p, false), nil
}

func (s *Service) getUsagePlans(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	keyID := r.URL.Query().Get("keyId")
	keys, err := st.keys(ctx, wire.KeyUsagePlansPrefix+"*")
	if err != nil {
		return 0, nil, err
	}
	out := paged[model.UsagePlan]{Item: []model.UsagePlan{}}
	for _, k := range keys {
		var p model.UsagePlan
		if _, err := st.get(ctx, k, &p); err != nil {
			if errors.Is(err, errNotFound) {
				continue
			}
			return 0, nil, err
		}
		if keyID != "" {
			if !validKeyToken(keyID) {
				continue
			}
			var pk model.UsagePlanKey
			if _, err := st.get(ctx, wire.KeyUsagePlanKey(p.ID, keyID), &pk); err != nil {
				if errors.Is(err, errNotFound) {
					continue
				}
				return 0, nil, err
			}
		}
		out.Item = append(out.Item, p)
	}
	return http.StatusOK, page(r, out.Item), nil
}

func (s *Service) getUsagePlan(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	p, _, err := loadUsagePlan(ctx, st, r.PathValue("usageplan_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewUsagePlan(p, true), nil
}

func (s *Service) updateUsagePlan(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	id := r.PathValue("usageplan_id")
	p, err := update(ctx, st, tokenKey(wire.KeyUsagePlan(id), id), "usage plan", errNoUsagePlan(), func(p *model.UsagePlan) error {
		if err := applyPatch(ops, func(op patchOp) error { return applyUsagePlanPatch(p, op) }); err != nil {
			return err
		}
		return checkUsagePlan(ctx, st, p)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewUsagePlan(p, true), nil
}

func patchFloat(p patchOp, dst *float64) error {
	v, err := strconv.ParseFloat(p.Value, 64)
	if err != nil || p.Op != "replace" {
		return badRequest("Invalid value %q for patch path '%s'", p.Value, p.Path)
	}
	*dst = v
	return nil
}

func patchInt(p patchOp, dst *int64) error {
	v, err := strconv.ParseInt(p.Value, 10, 64)
	if err != nil || p.Op != "replace" {
		return badRequest("Invalid value %q for patch path '%s'", p.Value, p.Path)
	}
	*dst = v
	return nil
}

// applyUsagePlanPatch handles AWS's UpdateUsagePlan paths: /name, /description,
// /productCode, /throttle/{rateLimit,burstLimit}, /quota/{limit,period,offset}, remove
// /throttle or /quota, add or remove /apiStages (value "{apiId}:{stage}"), and
// /apiStages/{apiId}:{stage}/throttle/{resourcePath}/{METHOD}/{rateLimit,burstLimit}
// (resourcePath with "/" written "~1"), or remove of /apiStages/{apiId}:{stage}/throttle/{...}/{METHOD}.
func applyUsagePlanPatch(plan *model.UsagePlan, p patchOp) error {
	switch p.Path {
	case "/name":
		return patchString(p, &plan.Name)
	case "/description":
		return patchString(p, &plan.Description)
	case "/productCode":
		return patchString(p, &plan.ProductCode)
	case "/throttle", "/quota":
		if p.Op != "remove" {
			return invalidPatchPath(p)
		}
		if p.Path == "/throttle" {
			plan.Throttle = nil
		} else {
			plan.Quota = nil
		}
		return nil
	case "/throttle/rateLimit", "/throttle/burstLimit":
		if plan.Throttle == nil {
			plan.Throttle = &model.ThrottleSettings{}
		}
		if p.Path == "/throttle/rateLimit" {
			return patchFloat(p, &plan.Throttle.RateLimit)
		}
		return patchInt(p, &plan.Throttle.BurstLimit)
	case "/quota/limit", "/quota/period", "/quota/offset":
		if plan.Quota == nil {
			plan.Quota = &model.QuotaSettings{}
		}
		switch p.Path {
		case "/quota/limit":
			return patchInt(p, &plan.Quota.Limit)
		case "/quota/period":
			if p.Op != "replace" {
				return invalidPatchPath(p)
			}
			plan.Quota.Period = p.Value
			return nil
		default:
			var v int64
			if err := patchInt(p, &v); err != nil {
				return err
			}
			plan.Quota.Offset = int(v)
			return nil
		}
	case "/apiStages":
		apiID, stage, ok := strings.Cut(p.Value, ":")
		if !ok || apiID == "" || stage == "" {
			return badRequest("Invalid API stage %q: want {apiId}:{stage}", p.Value)
		}
		kept := plan.APIStages[:0:0]
		found := false
		for _, as := range plan.APIStages {
			if as.APIID == apiID && as.Stage == stage {
				found = true
				continue
			}
			kept = append(kept, as)
		}
		switch p.Op {
		case "add":
			if found {
				return conflict("API stage %s:%s is already in the usage plan", apiID, stage)
			}
			kept = append(plan.APIStages, model.UsagePlanStage{APIID: apiID, Stage: stage})
		case "remove":
			if !found {
				return notFound("API stage %s:%s is not in the usage plan", apiID, stage)
			}
		default:
			return invalidPatchPath(p)
		}
		plan.APIStages = kept
		return nil
	}
	return applyPlanStageThrottlePatch(plan, p)
}

func applyPlanStageThrottlePatch(plan *model.UsagePlan, p patchOp) error {
	rest, ok := strings.CutPrefix(p.Path, "/apiStages/")
	if !ok {
		return invalidPatchPath(p)
	}
	stageRef, rest, ok := strings.Cut(rest, "/throttle")
	apiID, stage, ok2 := strings.Cut(stageRef, ":")
	if !ok || !ok2 {
		return invalidPatchPath(p)
	}
	idx := -1
	for i, as := range plan.APIStages {
		if as.APIID == apiID && as.Stage == stage {
			idx = i
		}
	}
	if idx < 0 {
		return notFound("API stage %s:%s is not in the usage plan", apiID, stage)
	}
	as := &plan.APIStages[idx]
	// rest: "" (whole map), "/{resourcePath}/{METHOD}" or ".../{rateLimit|burstLimit}".
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	if rest == "" {
		if p.Op != "remove" {
			return invalidPatchPath(p)
		}
		as.Throttle = nil
		return nil
	}
	var field string
	if n := len(parts); n == 3 {
		field = parts[2]
		parts = parts[:2]
	}
	if len(parts) != 2 {
		return invalidPatchPath(p)
	}
	key := pointerToken(parts[0]) + "/" + parts[1]
	if !validMethodPath(key) {
		return invalidPatchPath(p)
	}
	if field == "" {
		if p.Op != "remove" {
			return invalidPatchPath(p)
		}
		delete(as.Throttle, key)
		return nil
	}
	t := as.Throttle[key]
	switch field {
	case "rateLimit":
		if err := patchFloat(p, &t.RateLimit); err != nil {
			return err
		}
	case "burstLimit":
		if err := patchInt(p, &t.BurstLimit); err != nil {
			return err
		}
	default:
		return invalidPatchPath(p)
	}
	if as.Throttle == nil {
		as.Throttle = map[string]model.ThrottleSettings{}
	}
	as.Throttle[key] = t
	return nil
}

// deleteUsagePlan removes the key bindings (what authz follows) first, then the plan.
func (s *Service) deleteUsagePlan(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	p, rev, err := loadUsagePlan(ctx, st, r.PathValue("usageplan_id"))
	if err != nil {
		return 0, nil, err
	}
	keys, err := st.keys(ctx, wire.KeyPlanKeysPrefix+p.ID+".*")
	if err != nil {
		return 0, nil, err
	}
	for _, k := range keys {
		if err := st.remove(ctx, k, 0); err != nil {
			return 0, nil, err
		}
	}
	if err := st.remove(ctx, wire.KeyUsagePlan(p.ID), rev); err != nil {
		return 0, nil, storeErr(err, "usage plan")
	}
	return http.StatusAccepted, nil, nil
}

func (s *Service) createUsagePlanKey(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		KeyID   string `json:"keyId"`
		KeyType string `json:"keyType"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if in.KeyType != "API_KEY" {
		return 0, nil, badRequest("Invalid keyType %q: want API_KEY", in.KeyType)
	}
	p, _, err := loadUsagePlan(ctx, st, r.PathValue("usageplan_id"))
	if err != nil {
		return 0, nil, err
	}
	k, _, err := loadAPIKey(ctx, st, in.KeyID)
	if err != nil {
		return 0, nil, badRequest("Invalid API Key identifier specified: %s", in.KeyID)
	}
	// AWS: one key cannot reach one API stage through two plans.
	others, err := st.keys(ctx, wire.KeyPlanKeysPrefix+"*."+k.ID)
	if err != nil {
		return 0, nil, err
	}
	mine := map[string]bool{}
	for _, as := range p.APIStages {
		mine[model.StageKey(as.APIID, as.Stage)] = true
	}
	for _, ok := range others {
		otherID := strings.TrimSuffix(strings.TrimPrefix(ok, wire.KeyPlanKeysPrefix), "."+k.ID)
		if otherID == p.ID {
			return 0, nil, conflict("Usage Plan %s already contains API Key %s", p.ID, k.ID)
		}
		other, _, err := loadUsagePlan(ctx, st, otherID)
		if err != nil {
			continue
		}
		for _, as := range other.APIStages {
			if mine[model.StageKey(as.APIID, as.Stage)] {
				return 0, nil, conflict("Usage Plan %s cannot be added because API Key %s cannot reference multiple Usage Plans with the same API Stage: %s", p.ID, k.ID, model.StageKey(as.APIID, as.Stage))
			}
		}
	}
	pk := model.UsagePlanKey{ID: k.ID, Type: "API_KEY", Name: k.Name}
	if _, err := st.create(ctx, wire.KeyUsagePlanKey(p.ID, k.ID), &pk); err != nil {
		if errors.Is(err, errConflict) {
			return 0, nil, conflict("Usage Plan %s already contains API Key %s", p.ID, k.ID)
		}
		return 0, nil, err
	}
	return http.StatusCreated, pk, nil
}

func (s *Service) getUsagePlanKeys(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	p, _, err := loadUsagePlan(ctx, st, r.PathValue("usageplan_id"))
	if err != nil {
		return 0, nil, err
	}
	pks, err := readAll[model.UsagePlanKey](ctx, st, wire.KeyPlanKeysPrefix+p.ID+".*")
	if err != nil {
		return 0, nil, err
	}
	nameQuery := r.URL.Query().Get("nameQuery")
	out := []model.UsagePlanKey{}
	for _, pk := range pks {
		if nameQuery == "" || strings.HasPrefix(pk.Name, nameQuery) {
			out = append(out, pk)
		}
	}
	return http.StatusOK, page(r, out), nil
}

func loadUsagePlanKey(ctx context.Context, st *store, r *http.Request) (*model.UsagePlanKey, uint64, error) {
	p, _, err := loadUsagePlan(ctx, st, r.PathValue("usageplan_id"))
	if err != nil {
		return nil, 0, err
	}
	id := r.PathValue("key_id")
	return read[model.UsagePlanKey](ctx, st, tokenKey(wire.KeyUsagePlanKey(p.ID, id), id), notFound("Invalid Usage Plan Key identifier specified"))
}

func (s *Service) getUsagePlanKey(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	pk, _, err := loadUsagePlanKey(ctx, st, r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pk, nil
}

func (s *Service) deleteUsagePlanKey(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	pk, rev, err := loadUsagePlanKey(ctx, st, r)
	if err != nil {
		return 0, nil, err
	}
	if err := st.remove(ctx, wire.KeyUsagePlanKey(r.PathValue("usageplan_id"), pk.ID), rev); err != nil {
		return 0, nil, storeErr(err, "usage plan key")
	}
	return http.StatusAccepted, nil, nil
}

// usageView is AWS's Usage: per key, one [used, remaining] pair per day.
type usageView struct {
	UsagePlanID string               `json:"usagePlanId"`
	StartDate   string               `json:"startDate"`
	EndDate     string               `json:"endDate"`
	Items       map[string][][]int64 `json:"values"`
}

// getUsage answers AWS's GetUsage for the plan's keys: per day of [startDate, endDate], the
// requests used that day and the quota remaining at its end (limit minus the use of that day's
// quota period so far). The ratelimit service keeps the daily counts.
func (s *Service) getUsage(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	p, _, err := loadUsagePlan(ctx, st, r.PathValue("usageplan_id"))
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	start, err1 := time.Parse(time.DateOnly, q.Get("startDate"))
	end, err2 := time.Parse(time.DateOnly, q.Get("endDate"))
	if err1 != nil || err2 != nil || end.Before(start) {
		return 0, nil, badRequest("startDate and endDate are required as YYYY-MM-DD, startDate not after endDate")
	}
	days := int(end.Sub(start).Hours()/24) + 1
	if days > usageDays {
		return 0, nil, badRequest("The usage period is longer than %d days", usageDays)
	}
	keys, err := st.keys(ctx, wire.KeyPlanKeysPrefix+p.ID+".*")
	if err != nil {
		return 0, nil, err
	}
	var limit int64
	if p.Quota != nil {
		limit = p.Quota.Limit
	}
	out := usageView{UsagePlanID: p.ID, StartDate: q.Get("startDate"), EndDate: q.Get("endDate"), Items: map[string][][]int64{}}
	only := q.Get("keyId")
	for _, k := range keys {
		id := strings.TrimPrefix(k, wire.KeyPlanKeysPrefix+p.ID+".")
		if only != "" && id != only {
			continue
		}
		rows := make([][]int64, days)
		for i := range rows {
			rows[i] = []int64{0, limit}
		}
		if limit > 0 {
			if err := s.fillUsage(ctx, p, id, start, rows); err != nil {
				return 0, nil, err
			}
		}
		out.Items[id] = rows
	}
	return http.StatusOK, out, nil
}

// fillUsage sets rows (one per day from start) to [used that day, remaining at its end], from
// the ratelimit service's daily counts; the counts of the first day's quota period before
// start are read too, so the remaining is right from the first row.
func (s *Service) fillUsage(ctx context.Context, p *model.UsagePlan, keyID string, start time.Time, rows [][]int64) error {
	period, err := tokenbucket.ParsePeriod(p.Quota.Period)
	if err != nil {
		return badRequest("usage plan %s: %v", p.ID, err)
	}
	first, _, err := tokenbucket.PeriodBounds(start, period, p.Quota.Offset)
	if err != nil {
		return badRequest("usage plan %s: %v", p.ID, err)
	}
	fromDay, startDay := first.Unix()/86400, start.Unix()/86400
	lastDay := startDay + int64(len(rows)) - 1
	if fromDay > startDay {
		fromDay = startDay
	}
	daily, err := s.usageRequest(ctx, wire.UsageRequest{Key: wire.QuotaKey(p.ID, keyID), Period: p.Quota.Period,
		Offset: p.Quota.Offset, FromDay: fromDay, ToDay: lastDay})
	if err != nil {
		return err
	}
	if int64(len(daily.Days)) != lastDay-fromDay+1 {
		return errors.New("ratelimit answered the wrong number of days")
	}
	var periodStart, inPeriod int64 = -1, 0
	for d := fromDay; d <= lastDay; d++ {
		ps, _, _ := tokenbucket.PeriodBounds(time.Unix(d*86400, 0).UTC(), period, p.Quota.Offset)
		if ps.Unix() != periodStart {
			periodStart, inPeriod = ps.Unix(), 0
		}
		used := daily.Days[d-fromDay]
		inPeriod += used
		if d >= startDay {
			rows[d-startDay] = []int64{used, max(p.Quota.Limit-inPeriod, 0)}
		}
	}
	return nil
}

// quotaUsage reads, or with set sets, an API key's usage of the plan's quota in its current
// period, from the ratelimit service.
func (s *Service) quotaUsage(ctx context.Context, p *model.UsagePlan, keyID string, set *int64) (int64, error) {
	r, err := s.usageRequest(ctx, wire.UsageRequest{Key: wire.QuotaKey(p.ID, keyID), Period: p.Quota.Period, Offset: p.Quota.Offset, Set: set})
	return r.Used, err
}

// usageRequest asks the ratelimit service about a quota's usage.
func (s *Service) usageRequest(ctx context.Context, req wire.UsageRequest) (wire.UsageReply, error) {
	var resp wire.UsageReply
	if err := s.busRequest(ctx, wire.SubjectRateLimitUsage, "ratelimit", req, &resp); err != nil {
		return wire.UsageReply{}, err
	}
	if resp.Code != wire.CodeOK {
		return wire.UsageReply{}, &apiError{wire.StatusOf(resp.Code), "BadRequestException", resp.Message}
	}
	return resp, nil
}

// updateUsage is AWS's UpdateUsage: patch "replace /remaining" sets how many requests the key
// has left in the current quota period.
func (s *Service) updateUsage(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	p, _, err := loadUsagePlan(ctx, st, r.PathValue("usageplan_id"))
	if err != nil {
		return 0, nil, err
	}
	keyID := r.PathValue("key_id")
	if _, err := st.get(ctx, wire.KeyUsagePlanKey(p.ID, keyID), &model.UsagePlanKey{}); err != nil {
		return 0, nil, err
	}
	if p.Quota == nil || p.Quota.Limit <= 0 {
		return 0, nil, badRequest("Usage plan %s has no quota", p.ID)
	}
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	var remaining *int64
	for _, op := range ops {
		if op.Op != "replace" || op.Path != "/remaining" {
			return 0, nil, badRequest("Invalid patch path %s: only replace /remaining is supported", op.Path)
		}
		n, err := strconv.ParseInt(op.Value, 10, 64)
		if err != nil || n < 0 || n > p.Quota.Limit {
			return 0, nil, badRequest("Invalid remaining %q: a whole number from 0 to %d", op.Value, p.Quota.Limit)
		}
		remaining = &n
	}
	if remaining == nil {
		return 0, nil, badRequest("replace /remaining is required")
	}
	used := p.Quota.Limit - *remaining
	if _, err := s.quotaUsage(ctx, p, keyID, &used); err != nil {
		return 0, nil, err
	}
	day := time.Now().UTC().Format(time.DateOnly)
	return http.StatusOK, usageView{UsagePlanID: p.ID, StartDate: day, EndDate: day,
		Items: map[string][][]int64{keyID: {{used, *remaining}}}}, nil
}

// usagePlanView is a UsagePlan as AWS answers it: apiStages always, and tags on a read or an
// update ({} when none) but on a create only when given.
type usagePlanView struct {
	model.UsagePlan
	APIStages []model.UsagePlanStage `json:"apiStages"`
	Tags      map[string]string      `json:"tags,omitzero"`
}

func viewUsagePlan(p *model.UsagePlan, withTags bool) usagePlanView {
	v := usagePlanView{UsagePlan: *p, APIStages: p.APIStages, Tags: p.Tags}
	if v.APIStages == nil {
		v.APIStages = []model.UsagePlanStage{}
	}
	if v.Tags == nil && withTags {
		v.Tags = map[string]string{}
	}
	return v
}
