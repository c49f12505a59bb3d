// Package keyindex is authz's in-memory index of API keys by the hash of their value, built
// from the model.APIKey records that admin writes into the config bucket.
package keyindex

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/portico/portico/pkg/model"
)

// Errors of Decode and Put.
var (
	ErrTooLarge  = errors.New("keyindex: record too large")
	ErrMalformed = errors.New("keyindex: malformed record")
	ErrFull      = errors.New("keyindex: too many API keys")
)

// Limits of a record.
const (
	MaxIDLen     = 256
	MaxStageKeys = 10_000
)

type stageRef struct{ apiID, stage string }

// Key is one API key as authz needs it. It is immutable once built.
type Key struct {
	ID      string
	Hash    string // hex SHA-256 of the value, lower case
	Enabled bool
	stages  map[stageRef]struct{}
}

// Allows reports whether the key is bound to the stage apiID/stage.
func (k *Key) Allows(apiID, stage string) bool {
	_, ok := k.stages[stageRef{apiID, stage}]
	return ok
}

// HashPrefix is the part of the hash that may appear in logs.
func (k *Key) HashPrefix() string { return k.Hash[:8] }

// Decode parses the record stored under wire.KeyAPIKey(id). A record whose ID field is set
// must name id; its hash must be 64 lower-case hex digits.
func Decode(id string, data []byte, maxBytes int) (*Key, error) {
	if len(data) > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	if id == "" || len(id) > MaxIDLen {
		return nil, fmt.Errorf("%w: id length %d", ErrMalformed, len(id))
	}
	var rec model.APIKey
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if rec.ID != "" && rec.ID != id {
		return nil, fmt.Errorf("%w: record id %q under key id %q", ErrMalformed, rec.ID, id)
	}
	if !isHash(rec.Hash) {
		return nil, fmt.Errorf("%w: hash is not hex SHA-256", ErrMalformed)
	}
	if len(rec.StageKeys) > MaxStageKeys {
		return nil, fmt.Errorf("%w: %d stage keys", ErrMalformed, len(rec.StageKeys))
	}
	k := &Key{ID: id, Hash: rec.Hash, Enabled: rec.Enabled, stages: make(map[stageRef]struct{}, len(rec.StageKeys))}
	for _, sk := range rec.StageKeys {
		apiID, stage, ok := strings.Cut(sk, "/")
		if !ok || apiID == "" || stage == "" {
			return nil, fmt.Errorf("%w: stage key %q is not apiId/stage", ErrMalformed, sk)
		}
		k.stages[stageRef{apiID, stage}] = struct{}{}
	}
	return k, nil
}

func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Index maps key hashes to keys. It is safe for concurrent use.
type Index struct {
	max      int
	mu       sync.RWMutex
	byHash   map[string]*Key
	hashByID map[string]string
}

// New returns an empty index that holds at most max keys.
func New(max int) *Index {
	return &Index{max: max, byHash: map[string]*Key{}, hashByID: map[string]string{}}
}

// Lookup returns the key whose value hashes to hash.
func (x *Index) Lookup(hash string) (*Key, bool) {
	x.mu.RLock()
	k, ok := x.byHash[hash]
	x.mu.RUnlock()
	return k, ok
}

// Len is the number of keys.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.hashByID)
}

// Put adds or replaces the key k.ID. It returns the hashes whose decisions may have changed:
// k's, and the key's previous hash if it differed. ErrFull leaves the index unchanged.
func (x *Index) Put(k *Key) ([]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	old, existed := x.hashByID[k.ID]
	if !existed && len(x.hashByID) >= x.max {
		return nil, ErrFull
	}
	changed := []string{k.Hash}
	if existed && old != k.Hash {
		x.removeHashLocked(k.ID, old)
		changed = append(changed, old)
	}
	x.hashByID[k.ID] = k.Hash
	x.byHash[k.Hash] = k
	return changed, nil
}

// Delete removes the key id and returns its hash.
func (x *Index) Delete(id string) (string, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	hash, ok := x.hashByID[id]
	if !ok {
		return "", false
	}
	delete(x.hashByID, id)
	x.removeHashLocked(id, hash)
	return hash, true
}

// removeHashLocked drops hash's entry if it still belongs to id (two records with one hash
// are an admin bug; the last one written wins).
func (x *Index) removeHashLocked(id, hash string) {
	if k, ok := x.byHash[hash]; ok && k.ID == id {
		delete(x.byHash, hash)
	}
}
