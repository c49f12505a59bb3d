package admin

import (
	"context"
	"net/http"
	"strings"

	"github.com/portico/portico/pkg/model"
)

// apigatewayv2 stage routeSettings, stored as the stage's MethodSettings under the key the edge
// looks up: the route's path with "/" written "~1", then "/" and the method
// ("GET /pets/{id}" -> "~1pets~1{id}/GET"; "$default" -> "$default/ANY").

const maxRouteSettings = 300

// routeSettingKey maps a route key to its MethodSettings key; ok is false for a malformed key.
func routeSettingKey(routeKey string) (string, bool) {
	if routeKey == "$default" {
		return "$default/ANY", true
	}
	method, path, ok := strings.Cut(routeKey, " ")
	if !ok || !httpRouteMethods[method] || !strings.HasPrefix(path, "/") {
		// WebSocket route keys ("sendmessage", "$connect") are keyed as they are.
		if !ok && routeKey != "" && !strings.ContainsAny(routeKey, " /") {
			return routeKey + "/ANY", true
		}
		return "", false
	}
	return strings.ReplaceAll(path, "/", "~1") + "/" + method, true
}

// routeKeyOf is routeSettingKey's inverse, for views.
func routeKeyOf(settingKey string) string {
	i := strings.LastIndexByte(settingKey, '/')
	if i < 0 {
		return settingKey
	}
	path, method := settingKey[:i], settingKey[i+1:]
	if !strings.HasPrefix(path, "~1") {
		return path
	}
	return method + " " + strings.ReplaceAll(path, "~1", "/")
}

func methodSettingOf(rs *v2RouteSettings) (model.MethodSetting, error) {
	if rs.ThrottlingRateLimit < 0 || rs.ThrottlingBurstLimit < 0 || rs.ThrottlingRateLimit > maxRate || float64(rs.ThrottlingBurstLimit) > maxRate {
		return model.MethodSetting{}, badRequest("throttling limits must be between 0 and %g", maxRate)
	}
	switch rs.LoggingLevel {
	case "", "OFF", "ERROR", "INFO":
	default:
		return model.MethodSetting{}, badRequest("Invalid loggingLevel %q: OFF, ERROR or INFO", rs.LoggingLevel)
	}
	return model.MethodSetting{ThrottlingRateLimit: rs.ThrottlingRateLimit, ThrottlingBurstLimit: rs.ThrottlingBurstLimit,
		MetricsEnabled: rs.DetailedMetrics, LoggingLevel: rs.LoggingLevel}, nil
}

// applyRouteSettings merges v2 routeSettings into a stage.
func applyRouteSettings(sg *model.Stage, in map[string]v2RouteSettings) error {
	if len(in) > maxRouteSettings {
		return badRequest("too many routeSettings: at most %d", maxRouteSettings)
	}
	for routeKey, rs := range in {
		key, ok := routeSettingKey(routeKey)
		if !ok {
			return badRequest("Invalid route key %q in routeSettings", routeKey)
		}
		ms, err := methodSettingOf(&rs)
		if err != nil {
			return err
		}
		if sg.MethodSettings == nil {
			sg.MethodSettings = map[string]model.MethodSetting{}
		}
		sg.MethodSettings[key] = ms
	}
	return nil
}

// routeSettingsView renders a stage's per-route settings as v2 routeSettings.
func routeSettingsView(sg *model.Stage) map[string]v2RouteSettings {
	var out map[string]v2RouteSettings
	for k, ms := range sg.MethodSettings {
		if k == model.StageDefaults {
			continue
		}
		if out == nil {
			out = map[string]v2RouteSettings{}
		}
		out[routeKeyOf(k)] = v2RouteSettings{ThrottlingBurstLimit: ms.ThrottlingBurstLimit, ThrottlingRateLimit: ms.ThrottlingRateLimit,
			DetailedMetrics: ms.MetricsEnabled, LoggingLevel: ms.LoggingLevel}
	}
	return out
}

// deleteRouteSettings removes one route's settings from a stage.
func (s *Service) deleteRouteSettings(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	_, err = mutateStage(ctx, st, a.ID, r.PathValue("stage_name"), func(sg *model.Stage) error {
		key, ok := routeSettingKey(r.PathValue("route_key"))
		if _, found := sg.MethodSettings[key]; !ok || !found {
			return notFound("Unable to find route settings for %s", r.PathValue("route_key"))
		}
		delete(sg.MethodSettings, key)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
