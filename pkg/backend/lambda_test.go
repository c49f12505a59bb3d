package backend

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

func TestHandleLambda(t *testing.T) {
	nc := natstest.Connect(t, natstest.Start(t))
	svc, err := New(nc, Config{Name: "fns"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	// A handler written for Lambda, unchanged.
	hello := func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		if req.QueryStringParameters["fail"] == "1" {
			return events.APIGatewayProxyResponse{}, errors.New("boom")
		}
		return events.APIGatewayProxyResponse{StatusCode: 201, Headers: map[string]string{"X-Req": lc.AwsRequestID},
			Body: "hello " + req.PathParameters["name"]}, nil
	}
	if err := svc.HandleLambda("hello", hello); err != nil {
		t.Fatal(err)
	}
	if err := svc.HandleLambda("bad.name", hello); err == nil {
		t.Error("HandleLambda(bad.name) = nil, want an error")
	}
	ev := events.APIGatewayProxyRequest{PathParameters: map[string]string{"name": "ann"},
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "r-1"}}
	b, _ := json.Marshal(ev)
	msg, err := nc.Request(wire.LambdaSubject("hello"), b, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		t.Fatalf("reply %q: %v", msg.Data, err)
	}
	if resp.StatusCode != 201 || resp.Body != "hello ann" || resp.Headers["X-Req"] != "r-1" {
		t.Errorf("reply = %+v, want 201 hello ann with X-Req r-1", resp)
	}

	ev.QueryStringParameters = map[string]string{"fail": "1"}
	b, _ = json.Marshal(ev)
	msg, err = nc.RequestMsg(&nats.Msg{Subject: wire.LambdaSubject("hello"), Data: b}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get(wire.HeaderServiceErrorCode); got != LambdaErrorStatus {
		t.Errorf("error reply code = %q, want %q", got, LambdaErrorStatus)
	}
	var le struct{ ErrorMessage, ErrorType string }
	if err := json.Unmarshal(msg.Data, &le); err != nil || le.ErrorMessage != "boom" {
		t.Errorf("error reply body = %q (%v), want errorMessage boom", msg.Data, err)
	}
}
