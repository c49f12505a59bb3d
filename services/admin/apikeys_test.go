package admin

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

func TestAPIKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	e.deploy(t, id, "prod")
	e.deploy(t, id, "dev")

	invalidations := make(chan wire.Invalidation, 8)
	sub, err := e.nc.Subscribe(wire.SubjectAuthzInvalidate, func(m *nats.Msg) {
		var inv wire.Invalidation
		if err := wire.Unmarshal(m.Data, &inv); err == nil {
			invalidations <- inv
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}

	var created apiKeyView
	e.must(t, http.StatusCreated, "POST", "/apikeys", map[string]any{
		"name": "alice", "enabled": true,
		"stageKeys": []map[string]string{{"restApiId": id, "stageName": "prod"}},
	}).json(t, &created)
	if len(created.Value) != 40 {
		t.Fatalf("value %q: want 40 characters", created.Value)
	}
	if !created.Enabled || len(created.StageKeys) != 1 || created.StageKeys[0] != id+"/prod" {
		t.Errorf("create-api-key = %+v", created)
	}

	en, ok := e.raw(t, wire.KeyAPIKey(created.ID))
	if !ok {
		t.Fatal("api key record missing")
	}
	if bytes.Contains(en.Value(), []byte(created.Value)) {
		t.Fatalf("KV record holds the key value: %s", en.Value())
	}
	var rec model.APIKey
	if err := wire.Unmarshal(en.Value(), &rec); err != nil {
		t.Fatal(err)
	}
	hash := model.HashAPIKey(created.Value)
	if rec.Hash != hash {
		t.Errorf("stored hash %q, want %q", rec.Hash, hash)
	}
	idx, ok := e.raw(t, wire.KeyAPIKeyHash(hash))
	if !ok {
		t.Fatal("hash index missing")
	}
	if got := strings.Trim(string(idx.Value()), `"`); got != created.ID {
		t.Errorf("index -> %q, want %q", got, created.ID)
	}

	r := e.must(t, http.StatusOK, "GET", "/apikeys/"+created.ID+"?includeValue=true", nil)
	if bytes.Contains(r.body, []byte(created.Value)) {
		t.Errorf("get-api-key returned the value again")
	}
	var list items[apiKeyView]
	e.must(t, http.StatusOK, "GET", "/apikeys?name=ali", nil).json(t, &list)
	if len(list.Item) != 1 || list.Item[0].ID != created.ID {
		t.Errorf("get-api-keys = %+v", list.Item)
	}

	var upd apiKeyView
	e.must(t, http.StatusOK, "PATCH", "/apikeys/"+created.ID, map[string]any{"patchOperations": []patchOp{
		{Op: "replace", Path: "/enabled", Value: "false"},
		{Op: "replace", Path: "/name", Value: "alice2"},
		{Op: "add", Path: "/stages", Value: id + "/dev"},
		{Op: "remove", Path: "/stages", Value: id + "/prod"},
	}}).json(t, &upd)
	if upd.Enabled || upd.Name != "alice2" || len(upd.StageKeys) != 1 || upd.StageKeys[0] != id+"/dev" {
		t.Errorf("update-api-key = %+v", upd)
	}
	waitInvalidation(t, invalidations, hash)

	r = e.do(t, "PATCH", "/apikeys/"+created.ID, map[string]any{"patchOperations": []patchOp{{Op: "add", Path: "/stages", Value: id + "/nostage"}}})
	if r.status != http.StatusBadRequest {
		t.Errorf("add unknown stage = %d %s", r.status, r.body)
	}
	r = e.do(t, "PATCH", "/apikeys/"+created.ID, map[string]any{"patchOperations": []patchOp{{Op: "replace", Path: "/value", Value: "x"}}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.message(t), "/value") {
		t.Errorf("invalid api key patch = %d %s", r.status, r.body)
	}

	e.must(t, http.StatusAccepted, "DELETE", "/apikeys/"+created.ID, nil)
	waitInvalidation(t, invalidations, hash)
	if _, ok := e.raw(t, wire.KeyAPIKey(created.ID)); ok {
		t.Error("record still stored")
	}
	if _, ok := e.raw(t, wire.KeyAPIKeyHash(hash)); ok {
		t.Error("hash index still stored")
	}
	r = e.do(t, "GET", "/apikeys/"+created.ID, nil)
	if r.status != http.StatusNotFound || r.errorType() != "NotFoundException" {
		t.Errorf("get deleted key = %d %s", r.status, r.body)
	}
}

func waitInvalidation(t *testing.T, ch <-chan wire.Invalidation, hash string) {
	t.Helper()
	natstest.Eventually(t, 5*time.Second, func() error {
		select {
		case inv := <-ch:
			if inv.APIKeyHash == hash {
				return nil
			}
			return errWrongInvalidation
		default:
			return errNoInvalidation
		}
	})
}

var (
	errNoInvalidation    = errors.New("no invalidation yet")
	errWrongInvalidation = errors.New("invalidation for another key")
)

func TestAPIKeyCallerValue(t *testing.T) {
	e := newEnv(t)
	value := "caller-chosen-value-0123456789"
	var k apiKeyView
	e.must(t, http.StatusCreated, "POST", "/apikeys", map[string]any{"name": "bob", "value": value}).json(t, &k)
	if k.Value != value || k.Enabled {
		t.Errorf("create = %+v", k)
	}
	before := e.keys(t)
	r := e.do(t, "POST", "/apikeys", map[string]any{"name": "dup", "value": value})
	if r.status != http.StatusConflict || r.errorType() != "ConflictException" {
		t.Errorf("duplicate value = %d %s, want 409", r.status, r.body)
	}
	if after := e.keys(t); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("a refused create left keys: %v -> %v", before, after)
	}
	r = e.do(t, "POST", "/apikeys", map[string]any{"name": "short", "value": "short"})
	if r.status != http.StatusBadRequest {
		t.Errorf("short value = %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/apikeys", map[string]any{"stageKeys": []map[string]string{{"restApiId": "nosuchapi1", "stageName": "prod"}}})
	if r.status != http.StatusBadRequest {
		t.Errorf("unknown stage key = %d %s", r.status, r.body)
	}
}
