package authz

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/authz/internal/keyindex"
)

// FuzzDecideBytes feeds arbitrary requests: never a panic, an allow of a request that needs a
// key only for the one bound, enabled key, and every denial carries a code.
func FuzzDecideBytes(f *testing.F) {
	f.Add([]byte(`{"apiId":"api","stage":"prod","apiKey":"secret","needApiKey":true}`))
	f.Add([]byte(`{"apiId":"api","stage":"prod"}`))
	f.Add([]byte(`{"apiId":"api","stage":"dev","apiKey":"secret","needApiKey":true}`))
	f.Add([]byte(`{`))
	s, err := New(DefaultConfig(), Deps{NATS: &nats.Conn{}})
	if err != nil {
		f.Fatal(err)
	}
	rec, _ := wire.Marshal(model.APIKey{ID: "k1", Enabled: true, Hash: model.HashAPIKey("secret"), StageKeys: []string{"api/prod"}})
	k, err := keyindex.Decode("k1", rec, 1024)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.keys.Put(k); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, result := s.decideBytes(context.Background(), data)
		if d.Allow != (result == resultAllow) {
			t.Fatalf("decision %+v with result %s", d, result)
		}
		if !d.Allow && d.Code == "" {
			t.Fatalf("denial without a code: %+v", d)
		}
		var req wire.AuthzRequest
		if d.Allow && wire.Unmarshal(data, &req) == nil && req.NeedAPIKey &&
			(req.APIKey != "secret" || req.APIID != "api" || req.Stage != "prod" || d.APIKeyID != "k1") {
			t.Fatalf("request %q allowed: %+v", data, d)
		}
	})
}
