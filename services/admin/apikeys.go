package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

// API key bounds. AWS generates 40-character values and accepts caller values of 20-128.
const (
	apiKeyValueLen   = 40
	minAPIKeyLen     = 20
	maxAPIKeyLen     = 128
	maxStageKeys     = 100
	apiKeyValueChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

type stageKeyIn struct {
	RestAPIID string `json:"restApiId"`
	StageName string `json:"stageName"`
}

func loadAPIKey(ctx context.Context, st *store, id string) (*model.APIKey, uint64, error) {
	return read[model.APIKey](ctx, st, apiKeyKey(id), errNoAPIKey())
}

// apiKeyKey is an API key's key ("" for an id that cannot be one).
func apiKeyKey(id string) string { return tokenKey(wire.KeyAPIKey(id), id) }

func errNoAPIKey() error { return notFound("Invalid API Key identifier specified") }

// checkStageKey returns "{apiId}/{stage}" for an existing stage.
func checkStageKey(ctx context.Context, st *store, apiID, stage string) (string, error) {
	if _, _, err := loadStage(ctx, st, apiID, stage); err != nil {
		return "", badRequest("Invalid stage identifier specified: %s/%s", apiID, stage)
	}
	return model.StageKey(apiID, stage), nil
}

// createAPIKey stores the key's record and then its hash index (the pointer authz follows),
// and returns the value this once.
func (s *Service) createAPIKey(ctx context.Context, st *store, _ *http.Request, body []byte) (int, any, error) {
	var in struct {
		Name        string       `json:"name"`
		Description string       `json:"description"`
		Enabled     bool         `json:"enabled"`
		Value       string       `json:"value"`
		StageKeys   []stageKeyIn `json:"stageKeys"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if len(in.Name) > maxNameLen || len(in.Description) > maxDescLen {
		return 0, nil, badRequest("name or description is too long")
	}
	if in.Value != "" && (len(in.Value) < minAPIKeyLen || len(in.Value) > maxAPIKeyLen) {
		return 0, nil, badRequest("API Key value should be at least %d and at most %d characters", minAPIKeyLen, maxAPIKeyLen)
	}
	if len(in.StageKeys) > maxStageKeys {
		return 0, nil, badRequest("too many stageKeys: at most %d", maxStageKeys)
	}
	now := time.Now().UTC()
	k := model.APIKey{ID: newID(), Name: in.Name, Description: in.Description, Enabled: in.Enabled, CreatedDate: now, LastUpdatedDate: now}
	for _, sk := range in.StageKeys {
		key, err := checkStageKey(ctx, st, sk.RestAPIID, sk.StageName)
		if err != nil {
			return 0, nil, err
		}
		if !slices.Contains(k.StageKeys, key) {
			k.StageKeys = append(k.StageKeys, key)
		}
	}
	value := in.Value
	if value == "" {
		value = randomString(apiKeyValueLen, apiKeyValueChars)
	}
	k.Hash = model.HashAPIKey(value)
	if _, err := st.create(ctx, wire.KeyAPIKey(k.ID), &k); err != nil {
		return 0, nil, storeErr(err, "API key")
	}
	if _, err := st.create(ctx, wire.KeyAPIKeyHash(k.Hash), k.ID); err != nil {
		if rmErr := st.remove(ctx, wire.KeyAPIKey(k.ID), 0); rmErr != nil {
			s.log.ErrorContext(ctx, "api key record left without index", "id", k.ID, "err", rmErr)
		}
		if errors.Is(err, errConflict) {
			return 0, nil, conflict("An API key with this value already exists")
		}
		return 0, nil, err
	}
	v := viewAPIKey(&k)
	v.Value = value
	return http.StatusCreated, v, nil
}

func (s *Service) getAPIKey(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	k, _, err := loadAPIKey(ctx, st, r.PathValue("api_key"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewAPIKey(k), nil
}

func (s *Service) getAPIKeys(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	ks, err := readAll[model.APIKey](ctx, st, wire.KeyAPIKeysPrefix+"*")
	if err != nil {
		return 0, nil, err
	}
	name := r.URL.Query().Get("name")
	out := []apiKeyView{}
	for i := range ks {
		if name == "" || strings.HasPrefix(ks[i].Name, name) {
			out = append(out, viewAPIKey(&ks[i]))
		}
	}
	return http.StatusOK, page(r, out), nil
}

func (s *Service) updateAPIKey(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	k, err := update(ctx, st, apiKeyKey(r.PathValue("api_key")), "API key", errNoAPIKey(), func(k *model.APIKey) error {
		k.LastUpdatedDate = time.Now().UTC()
		return applyPatch(ops, func(p patchOp) error {
			switch {
			case p.Path == "/enabled" && p.Op == "replace":
				b, err := strconv.ParseBool(p.Value)
				if err != nil {
					return badRequest("Invalid value %q for /enabled: expected true or false", p.Value)
				}
				k.Enabled = b
			case p.Path == "/name" && p.Op == "replace":
				if len(p.Value) > maxNameLen {
					return badRequest("name is too long")
				}
				k.Name = p.Value
			case p.Path == "/description" && p.Op == "replace":
				if len(p.Value) > maxDescLen {
					return badRequest("description is too long")
				}
				k.Description = p.Value
			case p.Path == "/stages" && p.Op == "add":
				apiID, stage, _ := strings.Cut(p.Value, "/")
				key, err := checkStageKey(ctx, st, apiID, stage)
				if err != nil {
					return err
				}
				if !slices.Contains(k.StageKeys, key) {
					if len(k.StageKeys) >= maxStageKeys {
						return badRequest("too many stageKeys: at most %d", maxStageKeys)
					}
					k.StageKeys = append(k.StageKeys, key)
				}
			case p.Path == "/stages" && p.Op == "remove":
				k.StageKeys = slices.DeleteFunc(k.StageKeys, func(s string) bool { return s == p.Value })
			default:
				return invalidPatchPath(p)
			}
			return nil
		})
	})
	if err != nil {
		return 0, nil, err
	}
	s.invalidate(ctx, k.Hash)
	v := viewAPIKey(k)
	v.Tags = map[string]string{}
	return http.StatusOK, v, nil
}

// deleteAPIKey removes the hash index first (so authz can no longer find the key), then the
// record, then tells the edges to drop cached decisions made with it.
func (s *Service) deleteAPIKey(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	k, rev, err := loadAPIKey(ctx, st, r.PathValue("api_key"))
	if err != nil {
		return 0, nil, err
	}
	if err := st.remove(ctx, wire.KeyAPIKeyHash(k.Hash), 0); err != nil {
		return 0, nil, err
	}
	if err := st.remove(ctx, wire.KeyAPIKey(k.ID), rev); err != nil {
		return 0, nil, storeErr(err, "API key")
	}
	s.invalidate(ctx, k.Hash)
	return http.StatusAccepted, nil, nil
}

// invalidate publishes an Invalidation for a key's hash; a failure is logged, not returned:
// the write is already durable and the decision caches expire on their own.
func (s *Service) invalidate(ctx context.Context, hash string) {
	data, err := wire.Marshal(wire.Invalidation{APIKeyHash: hash})
	if err != nil {
		s.log.ErrorContext(ctx, "encode invalidation failed", "err", err)
		return
	}
	msg := &nats.Msg{Subject: wire.SubjectAuthzInvalidate, Data: data}
	telemetry.Inject(ctx, msg)
	if err := s.nc.PublishMsg(msg); err != nil {
		s.log.WarnContext(ctx, "publish invalidation failed", "err", err)
	}
}
