package main

import (
	"testing"
)

// TestRestartKeepsConfiguration: stopping the whole process and starting it again on the same
// data directory loses no configuration: the API, its stage and its API keys are served as before.
func TestRestartKeepsConfiguration(t *testing.T) {
	dir := t.TempDir()
	o := serveOptions{httpAddr: freeAddr(t), adminAddr: freeAddr(t), natsAddr: freeAddr(t), dataDir: dir}
	g := startServe(t, o)
	imp := importAPI(t, g, `openapi: 3.0.1
info: {title: restart, version: "1"}
paths:
  /hello:
    get:
      security: [{api_key: []}]
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"still":"here"}'}}}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
`, "--stage", "prod")
	out := cli(t, "apikey", "create", "--api", imp.APIID, "--stage", "prod", "--admin", "http://"+o.adminAddr)
	key := out[:len(out)-1] // text output is the value and a newline
	expect(t, "before the restart", do(t, "GET", imp.InvokeURL+"/hello", "", "x-api-key", key), 200, `{"still":"here"}`)

	g.stop(t)
	g2 := startServe(t, o)
	waitServed(t, g2, imp.APIID, "prod")
	expect(t, "after the restart", do(t, "GET", imp.InvokeURL+"/hello", "", "x-api-key", key), 200, `{"still":"here"}`)
	expect(t, "after the restart, no key", do(t, "GET", imp.InvokeURL+"/hello", ""), 403, `{"message":"Forbidden"}`)
	if got := cli(t, "export", "--api", imp.APIID, "--stage", "prod", "--admin", "http://"+o.adminAddr); len(got) == 0 {
		t.Error("export after the restart printed nothing")
	}
}
