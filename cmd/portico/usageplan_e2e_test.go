package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico/portico/examples/petstore"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// TestUsagePlanThroughTheGateway: an API key bound to a usage plan (and to no stage directly)
// passes on the plan's stage, is throttled by the plan's per-method limit and refused with
// QUOTA_EXCEEDED once its quota is spent; a key outside the plan is refused.
func TestUsagePlanThroughTheGateway(t *testing.T) {
	g := startServe(t, serveOptions{})
	nc := natstest.ConnectURL(t, g.natsURL())
	svc, err := petstore.Serve(nc, petstore.NewStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	imp := importAPI(t, g, planAPI, "--stage", "paid")
	// a key for another stage: enabled, but on no plan of this stage
	cli(t, "deploy", "--api", imp.APIID, "--stage", "other", "--admin", "http://"+g.opts.adminAddr)
	var key struct{ ID, Value string }
	out := cli(t, "apikey", "create", "--api", imp.APIID, "--stage", "other", "--admin", "http://"+g.opts.adminAddr, "-o", "json")
	if err := json.Unmarshal([]byte(out), &key); err != nil {
		t.Fatal(err)
	}
	expect(t, "key without a plan", do(t, "GET", imp.InvokeURL+"/pets/1", "", "x-api-key", key.Value), 403, `{"message":"Forbidden"}`)

	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), wire.ConfigBucket)
	if err != nil {
		t.Fatal(err)
	}
	plan := model.UsagePlan{ID: "plan1", Name: "gold",
		APIStages: []model.UsagePlanStage{{APIID: imp.APIID, Stage: "paid",
			Throttle: map[string]model.ThrottleSettings{"/pets/{petId}/GET": {RateLimit: 1000, BurstLimit: 1000}}}},
		Throttle: &model.ThrottleSettings{RateLimit: 1, BurstLimit: 1},
		Quota:    &model.QuotaSettings{Limit: 3, Period: "DAY"}}
	for k, v := range map[string]any{wire.KeyUsagePlan(plan.ID): plan, wire.KeyUsagePlanKey(plan.ID, key.ID): model.UsagePlanKey{ID: key.ID, Type: "API_KEY"}} {
		b, _ := json.Marshal(v)
		if _, err := kv.Put(context.Background(), k, b); err != nil {
			t.Fatal(err)
		}
	}
	natstest.Eventually(t, 5e9, func() error {
		if r := do(t, "GET", imp.InvokeURL+"/pets/1", "", "x-api-key", key.Value); r.status != 200 {
			return fmt.Errorf("key on the plan = %d %s", r.status, r.body)
		}
		return nil
	})
	// the plan-wide throttle is 1/s burst 1, but /pets/{petId} GET has its own 1000/s: two more
	// pass, and the quota of 3 a day is then spent
	expect(t, "second request", do(t, "GET", imp.InvokeURL+"/pets/1", "", "x-api-key", key.Value), 200, "")
	expect(t, "third request", do(t, "GET", imp.InvokeURL+"/pets/2", "", "x-api-key", key.Value), 200, "")
	expect(t, "over quota", do(t, "GET", imp.InvokeURL+"/pets/1", "", "x-api-key", key.Value), 429, `{"message":"Limit Exceeded"}`)

	// get-usage shows today's use; update-usage gives two requests back
	ac, err := newAdminClient("http://" + g.opts.adminAddr)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	var usage struct {
		Items map[string][][]int64 `json:"values"`
	}
	if err := ac.doJSON(context.Background(), "GET", "/usageplans/plan1/usage?startDate="+today+"&endDate="+today, nil, &usage); err != nil {
		t.Fatalf("get-usage: %v", err)
	}
	if rows := usage.Items[key.ID]; len(rows) != 1 || rows[0][0] != 3 || rows[0][1] != 0 {
		t.Errorf("get-usage for today = %v, want [[3 0]]", usage.Items)
	}
	ops := map[string][]patchOperation{"patchOperations": {{Op: "replace", Path: "/remaining", Value: "2"}}}
	if err := ac.doJSON(context.Background(), "PATCH", "/usageplans/plan1/keys/"+key.ID+"/usage", ops, nil); err != nil {
		t.Fatalf("update-usage: %v", err)
	}
	natstest.Eventually(t, 5*time.Second, func() error {
		if r := do(t, "GET", imp.InvokeURL+"/pets/1", "", "x-api-key", key.Value); r.status != 200 {
			return fmt.Errorf("after update-usage = %d %s", r.status, r.body)
		}
		return nil
	})
	expect(t, "second given-back request", do(t, "GET", imp.InvokeURL+"/pets/1", "", "x-api-key", key.Value), 200, "")
	expect(t, "quota spent again", do(t, "GET", imp.InvokeURL+"/pets/1", "", "x-api-key", key.Value), 429, `{"message":"Limit Exceeded"}`)
}

const planAPI = `openapi: 3.0.1
info: {title: plans, version: "1"}
paths:
  /pets/{petId}:
    get:
      security: [{api_key: []}]
      x-amazon-apigateway-integration: {type: nats_proxy, uri: petstore.pets.get}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
`
