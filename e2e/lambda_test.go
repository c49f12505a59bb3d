package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/fasthttp/websocket"
	lambdabackend "github.com/portico/portico/pkg/backend"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/services/edge/ws"
)

const chatFunctionURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:chat/invocations"

func lambdaRoute(key string) model.Route {
	return model.Route{RouteKey: key, RouteResponses: []model.RouteResponse{{ID: "rr", RouteResponseKey: "$default"}}, Integration: &model.Integration{Type: model.IntegrationAWSProxy, URI: chatFunctionURI}}
}

// TestLambdaWebSocketRoutes runs a handler written for AWS Lambda (aws-lambda-go's WebSocket
// event types) unchanged behind AWS_PROXY routes: $connect (refusal by status code),
// custom routes chosen by $request.body.action with the reply sent back, a function error as
// the error frame, and $disconnect with its status code.
func TestLambdaWebSocketRoutes(t *testing.T) {
	s := natstest.Start(t)
	startConnections(t, s)
	var mu sync.Mutex
	var seen []events.APIGatewayWebsocketProxyRequest
	handler := func(_ context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
		mu.Lock()
		seen = append(seen, ev)
		mu.Unlock()
		rc := ev.RequestContext
		switch rc.RouteKey {
		case "$connect":
			if ev.QueryStringParameters["token"] != "let-me-in" {
				return events.APIGatewayProxyResponse{StatusCode: 401}, nil
			}
			return events.APIGatewayProxyResponse{StatusCode: 200}, nil
		case "echo":
			return events.APIGatewayProxyResponse{StatusCode: 200,
				Body: fmt.Sprintf("%s %s %s %s", rc.EventType, rc.RouteKey, rc.ConnectionID, ev.Body)}, nil
		case "boom":
			return events.APIGatewayProxyResponse{}, errors.New("boom")
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	be, err := lambdabackend.New(natstest.Connect(t, s), lambdabackend.Config{Name: "chat"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Stop() })
	if err := be.HandleLambda("chat", handler); err != nil {
		t.Fatal(err)
	}
	api := wsAPI(lambdaRoute(ws.RouteConnect), lambdaRoute(ws.RouteDisconnect), lambdaRoute("echo"), lambdaRoute("boom"))
	api.RouteSelectionExpression = "$request.body.action"
	e := startEdge(t, s, "edge-lambda", api)

	_, resp, err := websocket.DefaultDialer.Dial(e.url()+"?token=wrong", nil)
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("dial with a wrong token = %v %v, want the function's 401", err, resp)
	}
	c := dial(t, e.url()+"?token=let-me-in")
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{"action":"echo","x":1}`)); err != nil {
		t.Fatal(err)
	}
	got := readText(t, c)
	var connect events.APIGatewayWebsocketProxyRequest // the accepted $connect
	mu.Lock()
	for _, ev := range seen {
		if ev.RequestContext.EventType == "CONNECT" && ev.QueryStringParameters["token"] == "let-me-in" {
			connect = ev
		}
	}
	mu.Unlock()
	id := connect.RequestContext.ConnectionID
	if want := "MESSAGE echo " + id + ` {"action":"echo","x":1}`; got != want {
		t.Fatalf("echo reply = %q, want %q", got, want)
	}
	if connect.RequestContext.EventType != "CONNECT" || connect.RequestContext.Identity.SourceIP != "127.0.0.1" ||
		connect.RequestContext.Stage != testStage || connect.RequestContext.APIID != testAPI || connect.RequestContext.ConnectedAt == 0 ||
		connect.Headers["Sec-Websocket-Version"] != "13" {
		t.Errorf("CONNECT event = %+v", connect)
	}

	if err := c.WriteMessage(websocket.TextMessage, []byte(`{"action":"boom"}`)); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, c); !contains(got, `"message":"Internal server error"`) || !contains(got, id) {
		t.Fatalf("function error frame = %s", got)
	}

	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "bye"), deadline()); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, waitFor, func() error {
		mu.Lock()
		defer mu.Unlock()
		last := seen[len(seen)-1].RequestContext
		if last.EventType != "DISCONNECT" {
			return fmt.Errorf("last event %s, want DISCONNECT", last.EventType)
		}
		if last.DisconnectStatusCode != 4001 || last.DisconnectReason == nil || *last.DisconnectReason != "bye" || last.ConnectionID != id {
			return fmt.Errorf("DISCONNECT context = %+v", last)
		}
		return nil
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func deadline() time.Time { return time.Now().Add(waitFor) }
