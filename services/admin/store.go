package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico/portico/pkg/wire"
)

// maxList bounds how many keys one listing reads (AWS's own page limit is 500).
const maxList = 500

// store is the config bucket with JSON values and revision checks.
type store struct {
	kv jetstream.KeyValue
	// beforeWrite, when set (tests only), runs between a read-modify-write's read and write.
	beforeWrite atomic.Pointer[func(key string)]
}

// openBucket creates the config bucket or, when another service created it first, binds it.
func openBucket(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.KeyValue, error) {
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      wire.ConfigBucket,
		Description: "Portico API definitions, deployments, stages and API keys",
		History:     5,
		Replicas:    replicas,
	})
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketExists) {
		return nil, fmt.Errorf("creating bucket %s: %w", wire.ConfigBucket, err)
	}
	kv, err = js.KeyValue(ctx, wire.ConfigBucket)
	if err != nil {
		return nil, fmt.Errorf("binding bucket %s: %w", wire.ConfigBucket, err)
	}
	return kv, nil
}

func isConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

// get decodes key into v and returns its revision; errNotFound when missing.
func (s *store) get(ctx context.Context, key string, v any) (uint64, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, errNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", key, err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, fmt.Errorf("decode %s: %w", key, err)
	}
	return e.Revision(), nil
}

// create writes a new key; errConflict when it exists.
func (s *store) create(ctx context.Context, key string, v any) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", key, err)
	}
	rev, err := s.kv.Create(ctx, key, b)
	if isConflict(err) {
		return 0, errConflict
	}
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", key, err)
	}
	return rev, nil
}

// update writes key if its revision is still rev; errConflict otherwise.
func (s *store) update(ctx context.Context, key string, v any, rev uint64) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", key, err)
	}
	if hook := s.beforeWrite.Load(); hook != nil {
		(*hook)(key)
	}
	n, err := s.kv.Update(ctx, key, b, rev)
	if isConflict(err) {
		return 0, errConflict
	}
	if err != nil {
		return 0, fmt.Errorf("update %s: %w", key, err)
	}
	return n, nil
}

// remove deletes key if its revision is still rev (0: unconditionally).
func (s *store) remove(ctx context.Context, key string, rev uint64) error {
	var opts []jetstream.KVDeleteOpt
	if rev != 0 {
		opts = append(opts, jetstream.LastRevision(rev))
	}
	err := s.kv.Delete(ctx, key, opts...)
	if isConflict(err) {
		return errConflict
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// keys lists the live keys matching a subject-style filter ("restapis.>"), sorted, at most maxList.
func (s *store) keys(ctx context.Context, filter string) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	kl, err := s.kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", filter, err)
	}
	defer func() { _ = kl.Stop() }()
	seen := map[string]bool{}
	var out []string
	for k := range kl.Keys() {
		// Keep draining after the bound so the lister's goroutine never blocks.
		if seen[k] || len(out) >= maxList {
			continue
		}
		seen[k] = true
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

// read decodes the record at key into a new T and returns it with its revision. A missing
// record, or an empty key (what the key functions give for an id that cannot name one), is
// the caller's missing error: AWS's 404 or 400 for that kind.
func read[T any](ctx context.Context, st *store, key string, missing error) (*T, uint64, error) {
	if key == "" {
		return nil, 0, missing
	}
	var v T
	rev, err := st.get(ctx, key, &v)
	if errors.Is(err, errNotFound) {
		return nil, 0, missing
	}
	if err != nil {
		return nil, 0, err
	}
	return &v, rev, nil
}

// update applies fn to the record at key and writes it back only if the key's revision is
// still the one read, so a concurrent change is a ConflictException naming what, never a lost
// update. A missing record is missing (see read); when fn fails nothing is written and its
// error is returned as it is.
func update[T any](ctx context.Context, st *store, key, what string, missing error, fn func(*T) error) (*T, error) {
	v, rev, err := read[T](ctx, st, key, missing)
	if err != nil {
		return nil, err
	}
	if err := fn(v); err != nil {
		return nil, err
	}
	if _, err := st.update(ctx, key, v, rev); err != nil {
		return nil, storeErr(err, what)
	}
	return v, nil
}

// readAll decodes every live record under filter (see store.keys), skipping those deleted
// between the listing and the read.
func readAll[T any](ctx context.Context, st *store, filter string) ([]T, error) {
	keys, err := st.keys(ctx, filter)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		var v T
		if _, err := st.get(ctx, k, &v); err != nil {
			if errors.Is(err, errNotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// storeErr turns the store's lost-race sentinel into AWS's ConflictException naming what.
func storeErr(err error, what string) error {
	if errors.Is(err, errConflict) {
		return conflict("%s was modified concurrently; retry", what)
	}
	return err
}

// tokenKey returns key(ids...) when every id can be a key token, else "" (which names no
// record: read answers the caller's missing error).
func tokenKey(key string, ids ...string) string {
	for _, id := range ids {
		if !validKeyToken(id) {
			return ""
		}
	}
	return key
}
