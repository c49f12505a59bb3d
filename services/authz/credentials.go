package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

// maxCredentialsRequestBytes bounds a CredentialsRequest.
const maxCredentialsRequestBytes = 1 << 10

// iamUsers is the in-memory index of IAM credential records (model.IAMCredential), kept
// current by a watch of wire.KeyIAMUsersPrefix in the config bucket.
type iamUsers struct {
	mu    sync.RWMutex
	users map[string]*model.IAMCredential
}

func (u *iamUsers) get(id string) (*model.IAMCredential, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	c, ok := u.users[id]
	return c, ok
}

func (u *iamUsers) len() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.users)
}

// decodeIAMCredential decodes and checks a record: its key id must match the KV key, the
// secret must be set, every policy must parse.
func decodeIAMCredential(id string, data []byte, maxBytes int) (*model.IAMCredential, error) {
	if len(data) > maxBytes {
		return nil, fmt.Errorf("record of %d bytes, more than %d", len(data), maxBytes)
	}
	var c model.IAMCredential
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decoding record: %w", err)
	}
	if c.AccessKeyID != id {
		return nil, fmt.Errorf("record names access key %q", c.AccessKeyID)
	}
	if c.SecretAccessKey == "" {
		return nil, errors.New("record has no secret")
	}
	for i, p := range c.Policies {
		if _, err := iampolicy.Parse(p); err != nil {
			return nil, fmt.Errorf("policy %d: %w", i, err)
		}
	}
	return &c, nil
}

// loadIAMUsers watches the IAM credential records, applies the initial values and returns
// the watcher; Run applies the live updates.
func (s *Service) loadIAMUsers(ctx context.Context, kv jetstream.KeyValue) (jetstream.KeyWatcher, error) {
	w, err := kv.Watch(ctx, wire.KeyIAMUsersPrefix+">")
	if err != nil {
		return nil, fmt.Errorf("watching IAM users: %w", err)
	}
	return w, s.initialLoad(ctx, w, "IAM users", func(e jetstream.KeyValueEntry) { s.applyIAMUser(e, false) })
}

// initialLoad applies a watch's initial values until the end-of-initial-values marker,
// bounded by SyncTimeout; on failure the watch is stopped.
func (s *Service) initialLoad(ctx context.Context, w jetstream.KeyWatcher, what string, apply func(jetstream.KeyValueEntry)) error {
	timer := time.NewTimer(s.cfg.SyncTimeout)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
			_ = w.Stop()
			return fmt.Errorf("authz: loading %s took longer than %v", what, s.cfg.SyncTimeout)
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("authz: %s watch ended during load", what)
			}
			if e == nil {
				return nil
			}
			apply(e)
		}
	}
}

// applyIAMUser updates the index from one KV entry and, when live, tells edges to drop the
// key's cached credentials.
func (s *Service) applyIAMUser(e jetstream.KeyValueEntry, live bool) {
	id := strings.TrimPrefix(e.Key(), wire.KeyIAMUsersPrefix)
	s.iam.mu.Lock()
	if s.iam.users == nil {
		s.iam.users = make(map[string]*model.IAMCredential)
	}
	switch e.Operation() {
	case jetstream.KeyValuePut:
		c, err := decodeIAMCredential(id, e.Value(), s.cfg.MaxRecordBytes)
		_, exists := s.iam.users[id]
		switch {
		case err != nil:
			// A record authz cannot use must not leave its previous version in force.
			s.log.Error("iam user record rejected", "access_key_id", id, "revision", e.Revision(), "err", err)
			delete(s.iam.users, id)
		case !exists && len(s.iam.users) >= s.cfg.MaxIAMUsers:
			s.log.Error("iam user index full, record ignored", "access_key_id", id, "max", s.cfg.MaxIAMUsers)
		default:
			s.iam.users[id] = c
		}
	default:
		delete(s.iam.users, id)
	}
	s.iam.mu.Unlock()
	if live {
		s.invalidateAccessKey(id)
	}
}

func (s *Service) invalidateAccessKey(id string) {
	body, err := wire.Marshal(wire.Invalidation{AccessKeyID: id})
	if err == nil {
		err = s.nc.Publish(wire.SubjectAuthzInvalidate, body)
	}
	if err != nil {
		s.log.Error("publishing invalidation failed", "access_key_id", id, "err", err)
		return
	}
	s.metrics.invalidations.Inc()
	s.log.Debug("iam user changed, invalidation published", "access_key_id", id)
}

// handleCredentials answers a CredentialsRequest from the index (a map lookup, on the
// subscription's goroutine).
func (s *Service) handleCredentials(msg *nats.Msg) {
	ctx := telemetry.Extract(context.Background(), msg)
	_, span := s.tracer.Start(ctx, "authz credentials", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	rep := s.credentials(msg.Data)
	span.SetAttributes(attribute.Bool("portico.authz.found", rep.Found))
	body, err := wire.Marshal(rep)
	if err != nil {
		s.log.Error("encoding credentials failed", "err", err)
		return
	}
	if err := msg.Respond(body); err != nil {
		s.log.Warn("replying to credentials request failed", "err", err)
	}
}

func (s *Service) credentials(data []byte) wire.CredentialsReply {
	var req wire.CredentialsRequest
	if len(data) > maxCredentialsRequestBytes || wire.Unmarshal(data, &req) != nil || req.AccessKeyID == "" {
		return wire.CredentialsReply{Code: wire.CodeBadRequest}
	}
	if s.cfg.AdminAccessKeyID != "" && req.AccessKeyID == s.cfg.AdminAccessKeyID {
		return wire.CredentialsReply{
			Found:           true,
			SecretAccessKey: s.cfg.AdminSecretAccessKey,
			PrincipalARN:    "arn:aws:iam::" + s.cfg.AccountID + ":root",
			Root:            true,
		}
	}
	c, ok := s.iam.get(req.AccessKeyID)
	if !ok || c.Disabled {
		return wire.CredentialsReply{}
	}
	rep := wire.CredentialsReply{
		Found:           true,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		PrincipalARN:    c.UserARN,
		Policies:        c.Policies,
	}
	if c.Expires != nil {
		rep.Expires = c.Expires.UnixMilli()
	}
	if rep.PrincipalARN == "" {
		name := c.UserName
		if name == "" {
			name = c.AccessKeyID
		}
		rep.PrincipalARN = "arn:aws:iam::" + s.cfg.AccountID + ":user/" + name
	}
	return rep
}
