package authz

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// TestReadThrough: a key the watch has not delivered yet is found in the bucket itself, with
// the hash index written as admin writes it (the key id as a JSON string) or as plain bytes.
func TestReadThrough(t *testing.T) {
	ns := natstest.Start(t)
	nc := natstest.Connect(t, ns)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: wire.ConfigBucket})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(DefaultConfig(), Deps{NATS: nc})
	if err != nil {
		t.Fatal(err)
	}
	s.kv = kv // as Run sets it; no watch runs, so only the read-through can find keys
	for name, index := range map[string]func(id string) []byte{
		"json string": func(id string) []byte { b, _ := json.Marshal(id); return b },
		"plain bytes": func(id string) []byte { return []byte(id) },
	} {
		t.Run(name, func(t *testing.T) {
			id, value := "k"+name[:4], "value-of-"+name
			rec, _ := json.Marshal(model.APIKey{ID: id, Enabled: true, Hash: model.HashAPIKey(value), StageKeys: []string{"api1/prod"},
				CreatedDate: time.Now()})
			if _, err := kv.Put(ctx, wire.KeyAPIKey(id), rec); err != nil {
				t.Fatal(err)
			}
			if _, err := kv.Put(ctx, wire.KeyAPIKeyHash(model.HashAPIKey(value)), index(id)); err != nil {
				t.Fatal(err)
			}
			got, d, ok := s.decideAPIKey(ctx, &wire.AuthzRequest{APIID: "api1", Stage: "prod", APIKey: value, NeedAPIKey: true})
			if !ok || got != id {
				t.Errorf("decideAPIKey for a key only in the bucket = %q %+v %v, want %q allowed", got, d, ok, id)
			}
		})
	}
	if _, d, ok := s.decideAPIKey(ctx, &wire.AuthzRequest{APIID: "api1", Stage: "prod", APIKey: "unknown", NeedAPIKey: true}); ok || d.Code != wire.CodeForbidden {
		t.Errorf("unknown key = %+v %v, want Forbidden", d, ok)
	}
}
