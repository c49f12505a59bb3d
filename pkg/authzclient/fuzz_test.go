package authzclient

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/wire"
)

func FuzzParseKeyHash(f *testing.F) {
	f.Add("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
	f.Add("")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		sum, ok := ParseKeyHash(s)
		if !ok {
			return
		}
		if got := hex.EncodeToString(sum[:]); len(s) != 2*sha256.Size || got != toLower(s) {
			t.Fatalf("ParseKeyHash(%q) = %s, want the same digits", s, got)
		}
	})
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// FuzzInvalidation feeds arbitrary invalidation messages: never a panic; a message that does
// not parse, or says All, retires every entry; a valid key hash retires that key's stripe.
func FuzzInvalidation(f *testing.F) {
	f.Add([]byte(`{"apiKeyHash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}`))
	f.Add([]byte(`{"all":true}`))
	f.Add([]byte(`{"apiKeyHash":"nothex"}`))
	f.Add([]byte(`]`))
	c, err := New(&nats.Conn{}, DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		epoch := c.epoch.Load()
		var inv wire.Invalidation
		parseErr := json.Unmarshal(data, &inv)
		var stripe uint64
		sum, validHash := ParseKeyHash(inv.APIKeyHash)
		if validHash {
			stripe = c.stripes[stripeOf(&sum)].Load()
		}
		c.onInvalidate(&nats.Msg{Data: data})
		switch {
		case parseErr != nil || inv.All || (inv.APIKeyHash != "" && !validHash):
			if c.epoch.Load() == epoch {
				t.Fatalf("invalidation %q did not retire every entry", data)
			}
		case validHash:
			if c.stripes[stripeOf(&sum)].Load() == stripe {
				t.Fatalf("invalidation %q did not retire its key", data)
			}
		}
	})
}
