package admin

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

// The stage cache (API Gateway's cache cluster): stage fields, method caching settings, and
// the flush operations, which every edge hears on wire.SubjectCacheFlush.

// Cache cluster statuses.
const (
	cacheAvailable    = "AVAILABLE"
	cacheNotAvailable = "NOT_AVAILABLE"
)

// errCacheFlush answers a flush the bus did not confirm.
var errCacheFlush = &apiError{http.StatusServiceUnavailable, "ServiceUnavailableException", "The stage cache could not be flushed: the bus is unavailable"}

func badCacheClusterSize(v string) error {
	return badRequest("1 validation error detected: Value '%s' at 'cacheClusterSize' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
		v, strings.Join(model.CacheClusterSizes, ", "))
}

// setCacheCluster applies CreateStage's or CreateDeployment's cacheClusterEnabled and
// cacheClusterSize (either may be absent); a cache enabled without a size gets the default.
func setCacheCluster(sg *model.Stage, enabled *bool, size string) error {
	if size != "" {
		if !slices.Contains(model.CacheClusterSizes, size) {
			return badCacheClusterSize(size)
		}
		sg.CacheClusterSize = size
	}
	if enabled != nil {
		sg.CacheClusterEnabled = *enabled
	}
	if sg.CacheClusterEnabled && sg.CacheClusterSize == "" {
		sg.CacheClusterSize = model.DefaultCacheClusterSize
	}
	return nil
}

// applyCacheClusterPatch handles /cacheClusterEnabled and /cacheClusterSize.
func applyCacheClusterPatch(sg *model.Stage, p patchOp) error {
	if p.Op != "replace" {
		return invalidPatchPath(p)
	}
	if p.Path == "/cacheClusterSize" {
		return setCacheCluster(sg, nil, p.Value)
	}
	v, err := strconv.ParseBool(p.Value)
	if err != nil {
		return badRequest("Invalid value %q for /cacheClusterEnabled: expected true or false", p.Value)
	}
	return setCacheCluster(sg, &v, "")
}

// isCacheClusterPath reports whether a stage patch path is a cache cluster field.
func isCacheClusterPath(path string) bool {
	return path == "/cacheClusterEnabled" || path == "/cacheClusterSize"
}

// newMethodSetting is a method's settings when its first override is made: as AWS, the
// caching settings start from the stage's ("*/*"), else from AWS's defaults.
func newMethodSetting(sg *model.Stage, key string) model.MethodSetting {
	def, ok := sg.MethodSettings[model.StageDefaults]
	if key == model.StageDefaults || !ok {
		return model.MethodSetting{}
	}
	return model.MethodSetting{CachingEnabled: def.CachingEnabled, CacheTTLInSeconds: def.CacheTTLInSeconds,
		CacheDataEncrypted: def.CacheDataEncrypted, RequireAuthorizationForCacheControl: def.RequireAuthorizationForCacheControl,
		UnauthorizedCacheControlHeaderStrategy: def.UnauthorizedCacheControlHeaderStrategy}
}

// applyMethodCachePatch sets caching/{setting} of a method setting; false means the value is
// not valid for it (or the setting is unknown).
func applyMethodCachePatch(ms *model.MethodSetting, setting, value string) bool {
	switch setting {
	case "enabled", "dataEncrypted", "requireAuthorizationForCacheControl":
		v, err := strconv.ParseBool(value)
		if err != nil {
			return false
		}
		switch setting {
		case "enabled":
			ms.CachingEnabled = v
		case "dataEncrypted":
			ms.CacheDataEncrypted = v
		default:
			ms.RequireAuthorizationForCacheControl = &v
		}
	case "ttlInSeconds":
		v, err := strconv.Atoi(value)
		if err != nil || v < 0 || v > model.MaxCacheTTLSeconds {
			return false
		}
		ms.CacheTTLInSeconds = &v
	case "unauthorizedCacheControlHeaderStrategy":
		switch value {
		case model.CacheControlFail, model.CacheControlSucceedWithHeader, model.CacheControlSucceedWithoutHeader:
		default:
			return false
		}
		ms.UnauthorizedCacheControlHeaderStrategy = value
	default:
		return false
	}
	return true
}

// methodCacheView is the caching part of AWS's MethodSetting, defaults filled in.
type methodCacheView struct {
	CachingEnabled                         bool   `json:"cachingEnabled"`
	CacheTTLInSeconds                      int    `json:"cacheTtlInSeconds"`
	CacheDataEncrypted                     bool   `json:"cacheDataEncrypted"`
	RequireAuthorizationForCacheControl    bool   `json:"requireAuthorizationForCacheControl"`
	UnauthorizedCacheControlHeaderStrategy string `json:"unauthorizedCacheControlHeaderStrategy"`
}

func viewMethodCache(m *model.MethodSetting) methodCacheView {
	return methodCacheView{CachingEnabled: m.CachingEnabled, CacheTTLInSeconds: m.CacheTTL(),
		CacheDataEncrypted: m.CacheDataEncrypted, RequireAuthorizationForCacheControl: m.RequiresCacheControlAuth(),
		UnauthorizedCacheControlHeaderStrategy: m.CacheControlStrategy()}
}

// cacheStatus is a stage's cacheClusterStatus: an edge's cache is ready as soon as enabled.
func cacheStatus(sg *model.Stage) string {
	if sg.CacheClusterEnabled {
		return cacheAvailable
	}
	return cacheNotAvailable
}

// flushStageCache is FlushStageCache (DELETE .../cache/data).
func (s *Service) flushStageCache(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	return s.flushCache(ctx, st, r, wire.CacheFlushData)
}

// flushStageAuthorizersCache is FlushStageAuthorizersCache (DELETE .../cache/authorizers).
func (s *Service) flushStageAuthorizersCache(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	return s.flushCache(ctx, st, r, wire.CacheFlushAuthorizers)
}

// flushCache tells every edge to empty the stage's cache of scope. The publication is
// flushed to the server before the answer, so a request sent after the 202 reaches an edge
// that has emptied its cache (edges hear the subject on their one connection, in order).
func (s *Service) flushCache(ctx context.Context, st *store, r *http.Request, scope string) (int, any, error) {
	sg, _, err := loadStage(ctx, st, r.PathValue("restapi_id"), r.PathValue("stage_name"))
	if err != nil {
		return 0, nil, err
	}
	data, err := wire.Marshal(wire.CacheFlush{APIID: sg.APIID, Stage: sg.StageName, Scope: scope})
	if err != nil {
		return 0, nil, err
	}
	msg := &nats.Msg{Subject: wire.SubjectCacheFlush, Data: data}
	telemetry.Inject(ctx, msg)
	if err := s.nc.PublishMsg(msg); err != nil {
		return 0, nil, fmt.Errorf("publishing cache flush: %w", err)
	}
	fctx, cancel := context.WithTimeout(ctx, manageTimeout)
	defer cancel()
	if err := s.nc.FlushWithContext(fctx); err != nil {
		return 0, nil, errCacheFlush
	}
	return http.StatusAccepted, nil, nil
}
