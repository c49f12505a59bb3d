package keyindex

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/portico/portico/pkg/model"
)

func record(t testing.TB, rec model.APIKey) []byte {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecode(t *testing.T) {
	hash := model.HashAPIKey("secret")
	tests := []struct {
		name    string
		id      string
		data    []byte
		wantErr error
	}{
		{"valid", "k1", record(t, model.APIKey{ID: "k1", Hash: hash, Enabled: true, StageKeys: []string{"api/prod"}}), nil},
		{"id omitted", "k1", record(t, model.APIKey{Hash: hash}), nil},
		{"id mismatch", "k1", record(t, model.APIKey{ID: "k2", Hash: hash}), ErrMalformed},
		{"empty id", "", record(t, model.APIKey{Hash: hash}), ErrMalformed},
		{"upper-case hash", "k1", record(t, model.APIKey{Hash: "ABCDEF" + hash[6:]}), ErrMalformed},
		{"short hash", "k1", record(t, model.APIKey{Hash: hash[:63]}), ErrMalformed},
		{"raw value as hash", "k1", record(t, model.APIKey{Hash: "secret"}), ErrMalformed},
		{"stage key without slash", "k1", record(t, model.APIKey{Hash: hash, StageKeys: []string{"apiprod"}}), ErrMalformed},
		{"stage key without stage", "k1", record(t, model.APIKey{Hash: hash, StageKeys: []string{"api/"}}), ErrMalformed},
		{"not json", "k1", []byte("{"), ErrMalformed},
		{"too large", "k1", make([]byte, 1025), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.id, tt.data, 1024)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Decode(%q) error = %v, want %v", tt.id, err, tt.wantErr)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	k, err := Decode("k1", record(t, model.APIKey{Hash: model.HashAPIKey("v"), StageKeys: []string{"api/prod", "other/dev"}}), 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		api, stage string
		want       bool
	}{
		{"api", "prod", true},
		{"other", "dev", true},
		{"api", "dev", false},
		{"apiprod", "", false},
		{"api/prod", "", false},
	}
	for _, tt := range tests {
		if got := k.Allows(tt.api, tt.stage); got != tt.want {
			t.Errorf("Allows(%q, %q) = %v, want %v", tt.api, tt.stage, got, tt.want)
		}
	}
}

func key(t testing.TB, id, value string) *Key {
	t.Helper()
	k, err := Decode(id, record(t, model.APIKey{Hash: model.HashAPIKey(value), Enabled: true}), 1024)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestIndexPutDelete(t *testing.T) {
	x := New(2)
	changed, err := x.Put(key(t, "k1", "one"))
	if err != nil || len(changed) != 1 || changed[0] != model.HashAPIKey("one") {
		t.Fatalf("Put(k1) = %v, %v, want [hash(one)]", changed, err)
	}
	// Rotating the value changes both hashes and forgets the old one.
	changed, err = x.Put(key(t, "k1", "two"))
	if err != nil || len(changed) != 2 || changed[0] != model.HashAPIKey("two") || changed[1] != model.HashAPIKey("one") {
		t.Fatalf("Put(k1 rotated) = %v, %v, want [hash(two) hash(one)]", changed, err)
	}
	if _, ok := x.Lookup(model.HashAPIKey("one")); ok {
		t.Error("Lookup(old hash) found a key after rotation")
	}
	if k, ok := x.Lookup(model.HashAPIKey("two")); !ok || k.ID != "k1" {
		t.Errorf("Lookup(new hash) = %v, %v, want k1", k, ok)
	}
	if _, err := x.Put(key(t, "k2", "three")); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Put(key(t, "k3", "four")); !errors.Is(err, ErrFull) {
		t.Fatalf("Put(k3) over the limit = %v, want ErrFull", err)
	}
	if x.Len() != 2 {
		t.Errorf("Len() = %d, want 2", x.Len())
	}
	hash, ok := x.Delete("k1")
	if !ok || hash != model.HashAPIKey("two") {
		t.Fatalf("Delete(k1) = %q, %v", hash, ok)
	}
	if _, ok := x.Lookup(hash); ok {
		t.Error("Lookup finds a deleted key")
	}
	if _, ok := x.Delete("k1"); ok {
		t.Error("second Delete(k1) reported a key")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("k1", []byte(`{"id":"k1","enabled":true,"hash":"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b","stageKeys":["a/b"]}`))
	f.Add("k1", []byte(`{"hash":"x"}`))
	f.Add("", []byte(`null`))
	f.Fuzz(func(t *testing.T, id string, data []byte) {
		k, err := Decode(id, data, 4096)
		if err != nil {
			return
		}
		if k.ID != id || !isHash(k.Hash) || len(k.HashPrefix()) != 8 {
			t.Fatalf("Decode(%q, %q) = %+v: invalid key accepted", id, data, k)
		}
		x := New(1)
		if _, err := x.Put(k); err != nil {
			t.Fatal(err)
		}
		if got, ok := x.Lookup(k.Hash); !ok || got != k {
			t.Fatalf("Lookup after Put = %v, %v", got, ok)
		}
	})
}
