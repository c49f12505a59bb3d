package admin

import (
	"net/http"
	"testing"
)

const testLogGroup = "arn:aws:logs:us-east-1:000000000000:log-group:access"

func TestAccessLogSettingsREST(t *testing.T) {
	e := newEnv(t)
	id := e.importDoc(t, "petstore-oas3.yaml")
	e.deploy(t, id, "prod")
	path := "/restapis/" + id + "/stages/prod"
	patch := func(ops ...map[string]string) response {
		return e.do(t, "PATCH", path, map[string]any{"patchOperations": ops})
	}
	r := patch(map[string]string{"op": "replace", "path": "/accessLogSettings/destinationArn", "value": testLogGroup},
		map[string]string{"op": "replace", "path": "/accessLogSettings/format", "value": `$context.requestId $context.status`})
	if r.status != http.StatusOK {
		t.Fatalf("patch access log settings = %d %s", r.status, r.body)
	}
	var sv stageView
	r.json(t, &sv)
	if a := sv.AccessLogSettings; a == nil || a.DestinationARN != testLogGroup || a.Format != `$context.requestId $context.status` {
		t.Fatalf("accessLogSettings = %+v", sv.AccessLogSettings)
	}
	if sg := e.stage(t, id, "prod"); sg.AccessLogSettings == nil || sg.AccessLogSettings.Format == "" {
		t.Fatalf("stored stage lacks access log settings: %+v", sg)
	}
	for _, tt := range []struct {
		name string
		op   map[string]string
	}{
		{"format without the request id", map[string]string{"op": "replace", "path": "/accessLogSettings/format", "value": "$context.status"}},
		{"not a log destination", map[string]string{"op": "replace", "path": "/accessLogSettings/destinationArn", "value": "arn:aws:s3:::bucket"}},
		{"unknown member", map[string]string{"op": "replace", "path": "/accessLogSettings/level", "value": "x"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := patch(tt.op); r.status != http.StatusBadRequest || r.errorType() != "BadRequestException" {
				t.Errorf("patch %v = %d %s, want 400 BadRequestException", tt.op, r.status, r.body)
			}
		})
	}
	r = patch(map[string]string{"op": "remove", "path": "/accessLogSettings"})
	var removed stageView
	r.json(t, &removed)
	if r.status != http.StatusOK || removed.AccessLogSettings != nil {
		t.Fatalf("remove /accessLogSettings = %d %s", r.status, r.body)
	}
}

func TestAccessLogSettingsV2(t *testing.T) {
	e := newEnv(t)
	var api struct {
		APIID string `json:"apiId"`
	}
	e.must(t, http.StatusCreated, "POST", "/v2/apis", map[string]any{"name": "h", "protocolType": "HTTP"}).json(t, &api)
	var sv v2StageView
	e.must(t, http.StatusCreated, "POST", "/v2/apis/"+api.APIID+"/stages", map[string]any{"stageName": "live",
		"accessLogSettings": map[string]string{"destinationArn": testLogGroup, "format": `{"id":"$context.requestId"}`}}).json(t, &sv)
	if a := sv.AccessLogSettings; a == nil || a.DestinationARN != testLogGroup {
		t.Fatalf("create-stage accessLogSettings = %+v", sv.AccessLogSettings)
	}
	r := e.do(t, "PATCH", "/v2/apis/"+api.APIID+"/stages/live", map[string]any{
		"accessLogSettings": map[string]string{"destinationArn": testLogGroup, "format": "$context.status"}})
	if r.status != http.StatusBadRequest {
		t.Fatalf("update-stage with a format lacking the request id = %d %s, want 400", r.status, r.body)
	}
	e.must(t, http.StatusOK, "PATCH", "/v2/apis/"+api.APIID+"/stages/live", map[string]any{
		"accessLogSettings": map[string]string{"destinationArn": testLogGroup, "format": "$context.extendedRequestId $context.status"}}).json(t, &sv)
	if sv.AccessLogSettings == nil || sv.AccessLogSettings.Format != "$context.extendedRequestId $context.status" {
		t.Fatalf("update-stage accessLogSettings = %+v", sv.AccessLogSettings)
	}
}
