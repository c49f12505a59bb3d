package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// TestWebSocketConnectAuthorizer: the $connect route's TOKEN authorizer (a NATS subscriber)
// decides the handshake: no token → 401, an explicit deny → 403, allow → connected, and the
// principal reaches the $connect integration.
func TestWebSocketConnectAuthorizer(t *testing.T) {
	g := startServe(t, serveOptions{})
	nc := natstest.ConnectURL(t, g.natsURL())
	fn, err := nc.Subscribe(wire.LambdaSubject("wsauth"), func(m *nats.Msg) {
		var ev events.APIGatewayCustomAuthorizerRequest
		_ = json.Unmarshal(m.Data, &ev)
		effect := "Allow"
		if ev.AuthorizationToken == "deny" {
			effect = "Deny"
		}
		b, _ := json.Marshal(events.APIGatewayCustomAuthorizerResponse{PrincipalID: "bob",
			PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17",
				Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{ev.MethodArn}}}}})
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fn.Unsubscribe()
	principals := make(chan string, 4)
	connect, err := nc.Subscribe("wsauth.connect", func(m *nats.Msg) {
		principals <- m.Header.Get(wire.HeaderPrincipalID)
		_ = m.Respond(nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer connect.Unsubscribe()

	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(context.Background(), wire.ConfigBucket)
	if err != nil {
		t.Fatal(err)
	}
	const apiID = "wsauth0001"
	api := model.RestAPI{ID: apiID, Name: "wsauth", Protocol: model.ProtocolWebSocket, RouteSelectionExpression: "$request.body.action",
		Authorizers: []model.Authorizer{{ID: "az1", Name: "token", Type: "TOKEN", IdentitySource: "method.request.header.Authorization",
			AuthorizerURI: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:wsauth/invocations"}},
		Routes: []model.Route{
			{ID: "c", RouteKey: "$connect", AuthorizationType: model.AuthCustom, AuthorizerID: "az1",
				Integration: &model.Integration{Type: model.IntegrationNATSProxy, URI: "wsauth.connect"}},
			{ID: "d", RouteKey: "$default", Integration: &model.Integration{Type: model.IntegrationMock}}}}
	for _, kvp := range []struct {
		key string
		v   any
	}{{wire.KeyDeployment(apiID, "d1"), model.Deployment{ID: "d1", APIID: apiID, API: api}},
		{wire.KeyStage(apiID, "live"), model.Stage{APIID: apiID, StageName: "live", DeploymentID: "d1"}}} {
		b, _ := json.Marshal(kvp.v)
		if _, err := kv.Put(context.Background(), kvp.key, b); err != nil {
			t.Fatal(err)
		}
	}
	waitServed(t, g, apiID, "live")
	url := "ws://" + g.opts.httpAddr + "/restapis/" + apiID + "/live/_user_request_/"
	dial := func(token string) (int, error) {
		h := http.Header{}
		if token != "" {
			h.Set("Authorization", token)
		}
		c, resp, err := websocket.DefaultDialer.Dial(url, h)
		if err == nil {
			c.Close()
			return 101, nil
		}
		if resp != nil {
			return resp.StatusCode, nil
		}
		return 0, err
	}
	for _, tc := range []struct {
		token string
		want  int
	}{{"", 401}, {"deny", 403}, {"allow", 101}} {
		got, err := dial(tc.token)
		if err != nil || got != tc.want {
			t.Errorf("handshake with token %q = %d (%v), want %d", tc.token, got, err, tc.want)
		}
	}
	select {
	case p := <-principals:
		if p != "bob" {
			t.Errorf("$connect integration saw principal %q, want bob", p)
		}
	case <-time.After(5 * time.Second):
		t.Error("$connect integration not called for the allowed handshake")
	}
}
