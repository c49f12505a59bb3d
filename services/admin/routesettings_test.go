package admin

import (
	"net/http"
	"net/url"
	"testing"
)

func TestRouteSettingKey(t *testing.T) {
	tests := []struct {
		name, routeKey, want string
		ok                   bool
	}{
		{"path", "GET /pets/{id}", "~1pets~1{id}/GET", true},
		{"root", "ANY /", "~1/ANY", true},
		{"default", "$default", "$default/ANY", true},
		{"websocket", "sendmessage", "sendmessage/ANY", true},
		{"bad method", "FETCH /x", "", false},
		{"no slash", "GET x", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := routeSettingKey(tt.routeKey)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("routeSettingKey(%q) = %q %v, want %q %v", tt.routeKey, got, ok, tt.want, tt.ok)
			}
			if ok && routeKeyOf(got) != tt.routeKey {
				t.Errorf("routeKeyOf(%q) = %q, want %q", got, routeKeyOf(got), tt.routeKey)
			}
		})
	}
}

// FuzzRouteSettingKey: every key routeSettingKey accepts maps back to the same route key.
func FuzzRouteSettingKey(f *testing.F) {
	for _, k := range []string{"GET /pets/{id}", "$default", "sendmessage", "ANY /a~1b"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, routeKey string) {
		key, ok := routeSettingKey(routeKey)
		if ok && validRouteKey("HTTP", routeKey) && !containsTilde1(routeKey) && routeKeyOf(key) != routeKey {
			t.Errorf("routeKeyOf(routeSettingKey(%q)) = %q", routeKey, routeKeyOf(key))
		}
	})
}

func containsTilde1(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '~' && s[i+1] == '1' {
			return true
		}
	}
	return false
}

func TestV2RouteSettings(t *testing.T) {
	e := newEnv(t)
	var api v2APIView
	e.must(t, http.StatusCreated, "POST", "/v2/apis", map[string]any{"name": "rs", "protocolType": "HTTP"}).json(t, &api)
	base := "/v2/apis/" + api.APIID
	var sg v2StageView
	e.must(t, http.StatusCreated, "POST", base+"/stages", map[string]any{"stageName": "prod",
		"routeSettings": map[string]any{"GET /items/{id}": map[string]any{"throttlingRateLimit": 5, "throttlingBurstLimit": 10}},
	}).json(t, &sg)
	if rs := sg.RouteSettings["GET /items/{id}"]; rs.ThrottlingRateLimit != 5 || rs.ThrottlingBurstLimit != 10 {
		t.Errorf("create-stage routeSettings = %+v", sg.RouteSettings)
	}
	if ms := e.stage(t, api.APIID, "prod").MethodSettings["~1items~1{id}/GET"]; ms.ThrottlingRateLimit != 5 {
		t.Errorf("stored method setting = %+v", ms)
	}
	e.must(t, http.StatusOK, "PATCH", base+"/stages/prod", map[string]any{"routeSettings": map[string]any{"$default": map[string]any{"throttlingRateLimit": 1}}})
	if r := e.do(t, "PATCH", base+"/stages/prod", map[string]any{"routeSettings": map[string]any{"FETCH /x": map[string]any{}}}); r.status != http.StatusBadRequest {
		t.Errorf("bad route key in routeSettings = %d %s", r.status, r.body)
	}
	if r := e.do(t, "PATCH", base+"/stages/prod", map[string]any{"routeSettings": map[string]any{"GET /x": map[string]any{"loggingLevel": "LOUD"}}}); r.status != http.StatusBadRequest {
		t.Errorf("bad loggingLevel = %d %s", r.status, r.body)
	}
	e.must(t, http.StatusNoContent, "DELETE", base+"/stages/prod/routesettings/"+url.PathEscape("GET /items/{id}"), nil)
	ms := e.stage(t, api.APIID, "prod").MethodSettings
	if _, ok := ms["~1items~1{id}/GET"]; ok || ms["$default/ANY"].ThrottlingRateLimit != 1 {
		t.Errorf("method settings after delete-route-settings = %+v", ms)
	}
	e.must(t, http.StatusNotFound, "DELETE", base+"/stages/prod/routesettings/"+url.PathEscape("GET /items/{id}"), nil)
}
