package admin

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

func (e *env) apiKey(t *testing.T, name string) string {
	t.Helper()
	var k apiKeyView
	e.must(t, http.StatusCreated, "POST", "/apikeys", map[string]any{"name": name, "enabled": true}).json(t, &k)
	return k.ID
}

func TestUsagePlanLifecycle(t *testing.T) {
	e := newEnv(t)
	api := e.importDoc(t, "petstore-oas3.yaml")
	e.deploy(t, api, "prod")
	e.deploy(t, api, "beta")
	key := e.apiKey(t, "gold-customer")

	var plan model.UsagePlan
	e.must(t, http.StatusCreated, "POST", "/usageplans", map[string]any{
		"name": "gold", "throttle": map[string]any{"rateLimit": 10, "burstLimit": 20},
		"quota":     map[string]any{"limit": 1000, "period": "MONTH", "offset": 1},
		"apiStages": []map[string]any{{"apiId": api, "stage": "prod", "throttle": map[string]any{"/pets/GET": map[string]any{"rateLimit": 2, "burstLimit": 4}}}},
	}).json(t, &plan)
	var stored model.UsagePlan
	if en, ok := e.raw(t, wire.KeyUsagePlan(plan.ID)); !ok || wire.Unmarshal(en.Value(), &stored) != nil {
		t.Fatalf("plan %s not stored", plan.ID)
	}
	if stored.Throttle.RateLimit != 10 || stored.Quota.Period != "MONTH" || stored.APIStages[0].Throttle["/pets/GET"].BurstLimit != 4 {
		t.Errorf("stored plan = %+v", stored)
	}

	var pk model.UsagePlanKey
	e.must(t, http.StatusCreated, "POST", "/usageplans/"+plan.ID+"/keys", map[string]any{"keyId": key, "keyType": "API_KEY"}).json(t, &pk)
	if pk.ID != key || pk.Type != "API_KEY" || pk.Name != "gold-customer" {
		t.Errorf("create-usage-plan-key = %+v", pk)
	}
	if _, ok := e.raw(t, wire.KeyUsagePlanKey(plan.ID, key)); !ok {
		t.Fatalf("binding %s not stored", wire.KeyUsagePlanKey(plan.ID, key))
	}
	if r := e.do(t, "POST", "/usageplans/"+plan.ID+"/keys", map[string]any{"keyId": key, "keyType": "API_KEY"}); r.status != http.StatusConflict {
		t.Errorf("second binding = %d %s, want 409", r.status, r.body)
	}
	// The same key cannot reach prod through a second plan.
	var other model.UsagePlan
	e.must(t, http.StatusCreated, "POST", "/usageplans", map[string]any{"name": "silver", "apiStages": []map[string]any{{"apiId": api, "stage": "prod"}}}).json(t, &other)
	r := e.do(t, "POST", "/usageplans/"+other.ID+"/keys", map[string]any{"keyId": key, "keyType": "API_KEY"})
	if r.status != http.StatusConflict || !strings.Contains(r.message(t), "same API Stage") {
		t.Errorf("key in two plans on one stage = %d %s, want 409", r.status, r.body)
	}

	// Patches: plan throttle, quota, per-method throttle, stages.
	var patched model.UsagePlan
	e.must(t, http.StatusOK, "PATCH", "/usageplans/"+plan.ID, map[string]any{"patchOperations": []patchOp{
		{Op: "replace", Path: "/throttle/rateLimit", Value: "50"},
		{Op: "replace", Path: "/quota/limit", Value: "5000"},
		{Op: "replace", Path: "/quota/period", Value: "WEEK"},
		{Op: "replace", Path: "/apiStages/" + api + ":prod/throttle/~1pets~1{petId}/GET/rateLimit", Value: "7"},
		{Op: "remove", Path: "/apiStages/" + api + ":prod/throttle/~1pets/GET"},
		{Op: "add", Path: "/apiStages", Value: api + ":beta"},
	}}).json(t, &patched)
	if patched.Throttle.RateLimit != 50 || patched.Quota.Limit != 5000 || patched.Quota.Period != "WEEK" || len(patched.APIStages) != 2 ||
		patched.APIStages[0].Throttle["/pets/{petId}/GET"].RateLimit != 7 || len(patched.APIStages[0].Throttle) != 1 {
		t.Errorf("plan after patches = %+v", patched)
	}

	var list paged[model.UsagePlan]
	e.must(t, http.StatusOK, "GET", "/usageplans?keyId="+key, nil).json(t, &list)
	if len(list.Item) != 1 || list.Item[0].ID != plan.ID {
		t.Errorf("get-usage-plans --key-id = %+v", list)
	}
	var keys paged[model.UsagePlanKey]
	e.must(t, http.StatusOK, "GET", "/usageplans/"+plan.ID+"/keys", nil).json(t, &keys)
	if len(keys.Item) != 1 || keys.Item[0].ID != key {
		t.Errorf("get-usage-plan-keys = %+v", keys)
	}
	// no ratelimit service: get-usage cannot read the counts
	e.must(t, http.StatusServiceUnavailable, "GET", "/usageplans/"+plan.ID+"/usage?startDate=2026-01-01&endDate=2026-01-03", nil)
	// a ratelimit stand-in on the bus that used 7 requests on 2 January
	sub, err := e.nc.Subscribe(wire.SubjectRateLimitUsage, func(m *nats.Msg) {
		var req wire.UsageRequest
		_ = wire.Unmarshal(m.Data, &req)
		days := make([]int64, req.ToDay-req.FromDay+1)
		jan2 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC).Unix() / 86400
		if i := jan2 - req.FromDay; i >= 0 && i < int64(len(days)) {
			days[i] = 7
		}
		b, _ := wire.Marshal(wire.UsageReply{Days: days})
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	var usage usageView
	e.must(t, http.StatusOK, "GET", "/usageplans/"+plan.ID+"/usage?startDate=2026-01-01&endDate=2026-01-03", nil).json(t, &usage)
	if rows := usage.Items[key]; len(rows) != 3 || rows[0][1] != 5000 || rows[1][0] != 7 || rows[1][1] != 5000-7 || rows[2][0] != 0 {
		t.Errorf("get-usage = %+v", usage)
	}
	_ = sub.Unsubscribe()

	// Deleting the plan removes its bindings first.
	e.must(t, http.StatusAccepted, "DELETE", "/usageplans/"+plan.ID+"/keys/"+key, nil)
	e.must(t, http.StatusNotFound, "GET", "/usageplans/"+plan.ID+"/keys/"+key, nil)
	e.must(t, http.StatusCreated, "POST", "/usageplans/"+plan.ID+"/keys", map[string]any{"keyId": key, "keyType": "API_KEY"})
	e.must(t, http.StatusAccepted, "DELETE", "/usageplans/"+plan.ID, nil)
	for _, k := range e.keys(t) {
		if strings.Contains(k, plan.ID) {
			t.Errorf("key %s left after delete-usage-plan", k)
		}
	}
}

func TestUsagePlanBadInput(t *testing.T) {
	e := newEnv(t)
	api := e.importDoc(t, "petstore-oas3.yaml")
	e.deploy(t, api, "prod")
	var plan model.UsagePlan
	e.must(t, http.StatusCreated, "POST", "/usageplans", map[string]any{"name": "p", "apiStages": []map[string]any{{"apiId": api, "stage": "prod"}}}).json(t, &plan)
	en, _ := e.raw(t, wire.KeyUsagePlan(plan.ID))
	rev := en.Revision()
	tests := []struct {
		name, method, path string
		body               any
		status             int
		msg                string
	}{
		{"no name", "POST", "/usageplans", map[string]any{}, 400, "name"},
		{"unknown stage", "POST", "/usageplans", map[string]any{"name": "x", "apiStages": []map[string]any{{"apiId": api, "stage": "nope"}}}, 400, api + "/nope"},
		{"bad period", "POST", "/usageplans", map[string]any{"name": "x", "quota": map[string]any{"limit": 1, "period": "YEAR"}}, 400, "YEAR"},
		{"negative rate", "POST", "/usageplans", map[string]any{"name": "x", "throttle": map[string]any{"rateLimit": -1}}, 400, "rateLimit"},
		{"bad method throttle key", "POST", "/usageplans", map[string]any{"name": "x", "apiStages": []map[string]any{{"apiId": api, "stage": "prod", "throttle": map[string]any{"pets": map[string]any{}}}}}, 400, "pets"},
		{"unknown plan", "GET", "/usageplans/nosuchplan", nil, 404, "Usage Plan"},
		{"bad patch path", "PATCH", "/usageplans/" + plan.ID, map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/id", Value: "x"}}}, 400, "/id"},
		{"bad patch value", "PATCH", "/usageplans/" + plan.ID, map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/throttle/rateLimit", Value: "fast"}}}, 400, "fast"},
		{"patch unknown stage", "PATCH", "/usageplans/" + plan.ID, map[string]any{"patchOperations": []patchOp{{Op: "add", Path: "/apiStages", Value: api + ":nope"}}}, 400, api + "/nope"},
		{"unknown key", "POST", "/usageplans/" + plan.ID + "/keys", map[string]any{"keyId": "nosuchkey", "keyType": "API_KEY"}, 400, "nosuchkey"},
		{"bad key type", "POST", "/usageplans/" + plan.ID + "/keys", map[string]any{"keyId": "x", "keyType": "TOKEN"}, 400, "TOKEN"},
		{"usage without dates", "GET", "/usageplans/" + plan.ID + "/usage", nil, 400, "startDate"},
		{"usage too long", "GET", "/usageplans/" + plan.ID + "/usage?startDate=2020-01-01&endDate=2026-01-01", nil, 400, "days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, tt.body)
			if r.status != tt.status || r.errorType() == "" {
				t.Fatalf("%s %s = %d %s %s, want %d", tt.method, tt.path, r.status, r.errorType(), r.body, tt.status)
			}
			if msg := r.message(t); !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not name %q", msg, tt.msg)
			}
		})
	}
	if en, _ := e.raw(t, wire.KeyUsagePlan(plan.ID)); en.Revision() != rev {
		t.Errorf("plan revision moved after failed updates")
	}
	var list paged[model.UsagePlan]
	e.must(t, http.StatusOK, "GET", "/usageplans", nil).json(t, &list)
	if len(list.Item) != 1 {
		t.Errorf("plans after failed creates = %d, want 1", len(list.Item))
	}
}

func TestPaging(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		e.must(t, http.StatusCreated, "POST", "/apikeys", map[string]any{"name": fmt.Sprintf("k%d", i)})
	}
	seen := map[string]bool{}
	pos, pages := "", 0
	for {
		var p paged[apiKeyView]
		e.must(t, http.StatusOK, "GET", "/apikeys?limit=2&position="+pos, nil).json(t, &p)
		pages++
		for _, k := range p.Item {
			if seen[k.ID] {
				t.Errorf("key %s on two pages", k.ID)
			}
			seen[k.ID] = true
		}
		if p.Position == "" || pages > 5 {
			break
		}
		pos = p.Position
	}
	if len(seen) != 5 || pages != 3 {
		t.Errorf("paging saw %d keys in %d pages, want 5 in 3", len(seen), pages)
	}
}
