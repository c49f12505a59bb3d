package admin

import (
	"net/http"
	"testing"

	"github.com/nats-io/nats.go/micro"
)

func TestSubjectMatches(t *testing.T) {
	for _, tt := range []struct {
		pattern, subject string
		want             bool
	}{
		{"pets.list", "pets.list", true},
		{"pets.*", "pets.list", true},
		{"pets.*", "pets.list.all", false},
		{"pets.>", "pets.list.all", true},
		{"pets.>", "pets", false},
		{"pets", "pets.list", false},
		{"*.list", "pets.list", true},
		{"pets.list", "pets.lists", false},
	} {
		if got := subjectMatches(tt.pattern, tt.subject); got != tt.want {
			t.Errorf("subjectMatches(%q, %q) = %v, want %v", tt.pattern, tt.subject, got, tt.want)
		}
	}
}

// TestBackends: GET /portico/backends lists the micro services on the bus and, for each
// stage's bus integration, how many of them serve its subject (stage variables filled in).
func TestBackends(t *testing.T) {
	e := newEnv(t)
	doc := `openapi: 3.0.1
info: {title: backends, version: "1"}
paths:
  /pets:
    get:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: "pets.${stageVariables.env}.list"}
  /chat:
    post:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:chat/invocations
`
	var api struct {
		ID string `json:"id"`
	}
	e.must(t, http.StatusCreated, "POST", "/restapis?mode=import", doc).json(t, &api)
	e.deploy(t, api.ID, "prod")
	e.must(t, http.StatusOK, "PATCH", "/restapis/"+api.ID+"/stages/prod", map[string]any{"patchOperations": []map[string]string{
		{"op": "replace", "path": "/variables/env", "value": "v1"}}})

	svc, err := micro.AddService(e.nc, micro.Config{Name: "petsvc", Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	if err := svc.AddEndpoint("list", micro.HandlerFunc(func(r micro.Request) { _ = r.Respond([]byte("[]")) }),
		micro.WithEndpointSubject("pets.v1.*")); err != nil {
		t.Fatal(err)
	}
	if err := e.nc.Flush(); err != nil { // the server holds the subscriptions before admin asks
		t.Fatal(err)
	}

	var got struct {
		Backends     []backendView       `json:"backends"`
		Integrations []integrationHealth `json:"integrations"`
	}
	e.must(t, http.StatusOK, "GET", "/portico/backends", nil).json(t, &got)
	if len(got.Backends) != 1 || got.Backends[0].Name != "petsvc" || got.Backends[0].Version != "1.2.3" ||
		len(got.Backends[0].Endpoints) != 1 || got.Backends[0].Endpoints[0].Subject != "pets.v1.*" {
		t.Fatalf("backends = %+v", got.Backends)
	}
	want := map[string]integrationHealth{
		"GET /pets":  {APIID: api.ID, Stage: "prod", Route: "GET /pets", Type: "NATS_PROXY", Subject: "pets.v1.list", Instances: 1},
		"POST /chat": {APIID: api.ID, Stage: "prod", Route: "POST /chat", Type: "AWS_PROXY", Subject: "lambda.chat", Instances: 0},
	}
	if len(got.Integrations) != len(want) {
		t.Fatalf("integrations = %+v, want %d", got.Integrations, len(want))
	}
	for _, h := range got.Integrations {
		if w := want[h.Route]; h != w {
			t.Errorf("integration %s = %+v, want %+v", h.Route, h, w)
		}
	}
}
