package ws

import (
	"net/http"
	"testing"

	"github.com/fasthttp/websocket"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
)

func TestTemplateKey(t *testing.T) {
	for _, tt := range []struct{ expr, body, want string }{
		{"", `{"a":1}`, "$default"},
		{`\$default`, `{"a":1}`, "$default"},
		{"$request.body.kind", `{"kind":"x"}`, "x"},
		{"${request.body.kind}-${request.body.n}", `{"kind":"x","n":2}`, "x-2"},
		{"$request.body.kind", `not json`, "$default"},
		{"$request.body.kind", `{"other":1}`, "$default"},
	} {
		if got := templateKey(tt.expr, []byte(tt.body)); got != tt.want {
			t.Errorf("templateKey(%q, %s) = %q, want %q", tt.expr, tt.body, got, tt.want)
		}
	}
}

func TestMockAndNATSTemplates(t *testing.T) {
	s := natstest.Start(t)
	nc := natstest.Connect(t, s)
	backend(t, nc, "ws.tpl.nats", echo(""))
	connect := model.Route{RouteKey: RouteConnect, Integration: &model.Integration{Type: model.IntegrationMock,
		RequestTemplates: map[string]string{"$default": `#if($input.params('token') == 'ok'){"statusCode":200}#else{"statusCode":403}#end`}}}
	ping := model.Route{RouteKey: "ping", RouteResponses: []model.RouteResponse{{ID: "rr", RouteResponseKey: "$default"}}, Integration: &model.Integration{Type: model.IntegrationMock,
		TemplateSelectionExpression: "${request.body.kind}",
		RequestTemplates:            map[string]string{"found": `{"statusCode":200}`, "$default": `{"statusCode":404}`},
		IntegrationResponses: map[string]model.IntegrationResponse{
			`/2\d\d/`: {StatusCode: "200", ResponseTemplates: map[string]string{"$default": `{"pong":"$context.routeKey","kind":"$input.path('$.kind')"}`}},
			`/4\d\d/`: {StatusCode: "404", ResponseTemplates: map[string]string{"$default": `no such kind`}},
		}}}
	oneWay := model.Route{RouteKey: "oneway", Integration: &model.Integration{Type: model.IntegrationMock}}
	natsTpl := model.Route{RouteKey: "nats", RouteResponses: []model.RouteResponse{{ID: "rr", RouteResponseKey: "$default"}}, Integration: &model.Integration{Type: model.IntegrationNATS, URI: "ws.tpl.nats",
		RequestTemplates: map[string]string{"$default": `{"wrapped":$input.json('$.v'),"conn":"$context.connectionId"}`},
		IntegrationResponses: map[string]model.IntegrationResponse{
			"$default": {StatusCode: "200", ResponseTemplates: map[string]string{"$default": `got $input.path('$.wrapped')`}},
		}}}
	api := wsAPI("$request.body.action", connect, ping, oneWay, natsTpl)
	e := startEdge(t, s, "edge-tpl", testConfig(), api)

	if _, resp, err := websocket.DefaultDialer.Dial(e.url()+"?token=no", nil); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("MOCK $connect answering 403 = %v %v", err, resp)
	}
	c, _, err := websocket.DefaultDialer.Dial(e.url()+"?token=ok", nil)
	if err != nil {
		t.Fatalf("MOCK $connect answering 200: %v", err)
	}
	defer c.Close()
	for _, tt := range []struct{ send, want string }{
		{`{"action":"oneway"}`, ""}, // nothing comes back: checked by the next reply
		{`{"action":"ping","kind":"found"}`, `{"pong":"ping","kind":"found"}`},
		{`{"action":"ping","kind":"lost"}`, `no such kind`},
		{`{"action":"nats","v":41}`, `got 41`},
	} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(tt.send)); err != nil {
			t.Fatal(err)
		}
		if tt.want == "" {
			continue
		}
		if got := readText(t, c); got != tt.want {
			t.Fatalf("%s: got %q, want %q", tt.send, got, tt.want)
		}
	}
}
