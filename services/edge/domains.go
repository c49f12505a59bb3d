package edge

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// domains maps a custom domain name (lower case, no port) to its base path mappings, longest
// base path first. The whole map is swapped atomically.
type domains map[string][]model.BasePathMapping

// customDomain maps a request on a custom domain name to (api, stage, path): the mapping
// whose base path is the longest matching leading segments of the path ("" maps the root),
// with the base path stripped, as API Gateway does.
func (s *Service) customDomain(host, path string) (apiID, stage, rest string, ok bool) {
	d := s.domains.Load()
	if d == nil || len(*d) == 0 {
		return "", "", "", false
	}
	mappings, found := (*d)[strings.ToLower(host)]
	if !found {
		return "", "", "", false
	}
	for _, m := range mappings {
		if m.BasePath == "" {
			return m.APIID, m.Stage, path, true
		}
		prefix := "/" + m.BasePath
		if path == prefix {
			return m.APIID, m.Stage, "/", true
		}
		if strings.HasPrefix(path, prefix+"/") {
			return m.APIID, m.Stage, path[len(prefix):], true
		}
	}
	return "", "", "", false
}

// watchDomains keeps the custom domain table in step with the config bucket.
func (s *Service) watchDomains(ctx context.Context, kv jetstream.KeyValue) {
	s.keepFollowing(ctx, "custom domain names", func(ctx context.Context) error { return s.followDomains(ctx, kv) })
}

// keepFollowing runs follow (a watch of the config bucket) until ctx is done, starting it again
// a second after it fails.
func (s *Service) keepFollowing(ctx context.Context, what string, follow func(context.Context) error) {
	for ctx.Err() == nil {
		if err := follow(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("watching the config bucket", "what", what, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (s *Service) followDomains(ctx context.Context, kv jetstream.KeyValue) error {
	current := domains{}
	return followKeys(ctx, kv, wire.KeyDomainNamesPrefix, func(e jetstream.KeyValueEntry) {
		next := make(domains, len(current)+1)
		for k, v := range current {
			next[k] = v
		}
		var d model.DomainName
		if e.Operation() != jetstream.KeyValuePut || json.Unmarshal(e.Value(), &d) != nil || d.DomainName == "" {
			for name := range next {
				if wire.KeyDomainName(name) == e.Key() {
					delete(next, name)
				}
			}
		} else {
			ms := slices.Clone(d.Mappings)
			slices.SortFunc(ms, func(a, b model.BasePathMapping) int { return len(b.BasePath) - len(a.BasePath) })
			next[strings.ToLower(d.DomainName)] = ms
		}
		current = next
		s.domains.Store(&next) // a pointer to this change's map: current is rebound by the next one
	}, nil)
}

// followKeys watches the keys under prefix until ctx is done or the watch ends: apply gets
// every change, and synced (when set) is called once the keys that existed have all come.
func followKeys(ctx context.Context, kv jetstream.KeyValue, prefix string, apply func(jetstream.KeyValueEntry), synced func()) error {
	w, err := kv.Watch(ctx, prefix+">")
	if err != nil {
		return err
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return nil
			}
			if e == nil {
				if synced != nil {
					synced()
				}
				continue
			}
			apply(e)
		}
	}
}
