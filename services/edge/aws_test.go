package edge

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico/portico/pkg/backend"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// lastMsg reads the last message stored on subject.
func lastMsg(t *testing.T, h *harness, stream, subject string) *jetstream.RawStreamMsg {
	t.Helper()
	js, err := jetstream.New(h.nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	m, err := st.GetLastMsgForSubject(context.Background(), subject)
	if err != nil {
		t.Fatalf("last message on %s: %v", subject, err)
	}
	return m
}

func TestAWSIntegrationHTTPAPI(t *testing.T) {
	h := newHarness(t)
	api := model.RestAPI{ID: "awsh", Name: "awsh", Protocol: model.ProtocolHTTP, Routes: []model.Route{
		{ID: "1", RouteKey: "POST /orders", Integration: &model.Integration{Type: model.IntegrationAWS, IntegrationSubtype: "SQS-SendMessage",
			RequestParameters: map[string]string{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/orders", "MessageBody": "$request.body"}}},
		{ID: "2", RouteKey: "POST /events", Integration: &model.Integration{Type: model.IntegrationAWS, IntegrationSubtype: "EventBridge-PutEvents",
			RequestParameters: map[string]string{"Source": "shop", "DetailType": "OrderPlaced", "Detail": "$request.body", "EventBusName": "orders-bus"}}},
		{ID: "3", RouteKey: "POST /bad", Integration: &model.Integration{Type: model.IntegrationAWS, IntegrationSubtype: "SQS-SendMessage",
			RequestParameters: map[string]string{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/orders"}}},
	}}
	h.deploy(api, "v1", nil)
	host := "awsh.execute-api.localhost"

	for i, body := range []string{`{"sku":"a"}`, `{"sku":"b"}`} {
		resp := h.do("POST", "/v1/orders", body, "Host", host)
		var out struct {
			SendMessageResponse struct {
				SendMessageResult struct{ MessageId, SequenceNumber, MD5OfMessageBody string }
			}
		}
		if err := json.Unmarshal([]byte(resp.body), &out); resp.status != 200 || err != nil {
			t.Fatalf("SendMessage = %d %s (%v)", resp.status, resp.body, err)
		}
		r := out.SendMessageResponse.SendMessageResult
		if want := []string{"1", "2"}[i]; r.SequenceNumber != want || r.MessageId != resp.header.Get("x-amzn-RequestId") || r.MD5OfMessageBody == "" {
			t.Errorf("SendMessage result = %+v, want sequence %s and the request id", r, want)
		}
	}
	m := lastMsg(t, h, wire.QueueStream, wire.QueueSubject("orders"))
	if string(m.Data) != `{"sku":"b"}` || m.Sequence != 2 {
		t.Errorf("stored message = %d %s, want 2 {\"sku\":\"b\"}", m.Sequence, m.Data)
	}

	resp := h.do("POST", "/v1/events", `{"orderId":7}`, "Host", host)
	var put struct {
		Entries          []struct{ EventId, SequenceNumber string }
		FailedEntryCount int
	}
	if err := json.Unmarshal([]byte(resp.body), &put); resp.status != 200 || err != nil || len(put.Entries) != 1 || put.Entries[0].SequenceNumber != "1" {
		t.Fatalf("PutEvents = %d %s (%v)", resp.status, resp.body, err)
	}
	m = lastMsg(t, h, wire.EventStream, wire.EventSubject("orders-bus"))
	var ev struct {
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		ID         string          `json:"id"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(m.Data, &ev); err != nil || ev.DetailType != "OrderPlaced" || ev.Source != "shop" ||
		string(ev.Detail) != `{"orderId":7}` || ev.ID != put.Entries[0].EventId {
		t.Errorf("stored event = %s (%v)", m.Data, err)
	}
	expectResp(t, "SendMessage without a body", h.do("POST", "/v1/bad", "", "Host", host), 400, `{"message":"MessageBody is required"}`)
	expectResp(t, "PutEvents with invalid detail", h.do("POST", "/v1/events", `not json`, "Host", host), 400, `{"message":"Detail is not valid JSON"}`)
}

func TestAWSIntegrationREST(t *testing.T) {
	h := newHarness(t)
	in := &model.Integration{Type: model.IntegrationAWS, HTTPMethod: "POST", URI: "arn:aws:apigateway:us-east-1:sqs:path/000000000000/jobs",
		RequestTemplates: map[string]string{"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"},
		IntegrationResponses: map[string]model.IntegrationResponse{
			"200": {StatusCode: "202", ResponseTemplates: map[string]string{"application/json": `{"queued":"$input.path('$.SendMessageResponse.SendMessageResult.SequenceNumber')"}`}},
			"400": {StatusCode: "400", SelectionPattern: "400"},
		}}
	h.deploy(restAPI("awsr", resource("/jobs", method(in))), "prod", nil)
	expectResp(t, "REST SQS", h.do("POST", restPath("awsr", "prod", "/jobs"), `{"job":"x y"}`, "Content-Type", "application/json"), 202, `{"queued":"1"}`)
	m := lastMsg(t, h, wire.QueueStream, wire.QueueSubject("jobs"))
	if string(m.Data) != `{"job":"x y"}` {
		t.Errorf("stored message = %s", m.Data)
	}
}

func TestLambdaCustomIntegration(t *testing.T) {
	h := newHarness(t)
	fns, err := backend.New(h.nc, backend.Config{Name: "custom"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fns.Stop() })
	type in struct {
		A, B int
		Op   string
	}
	if err := fns.HandleLambda("calc", func(ctx context.Context, v in) (map[string]int, error) {
		if v.Op == "div" && v.B == 0 {
			return nil, errors.New("DivideByZero: b is 0")
		}
		return map[string]int{"sum": v.A + v.B}, nil
	}); err != nil {
		t.Fatal(err)
	}
	integ := &model.Integration{Type: model.IntegrationAWS, HTTPMethod: "POST", URI: fmtARN("calc"),
		RequestTemplates: map[string]string{"application/json": `{"A":$input.params('a'),"B":$input.params('b'),"Op":"$input.params('op')"}`},
		IntegrationResponses: map[string]model.IntegrationResponse{
			"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"result":$input.path('$.sum')}`}},
			"400": {StatusCode: "400", SelectionPattern: "DivideByZero.*", ResponseTemplates: map[string]string{"application/json": `{"error":"$input.path('$.errorMessage')"}`}},
		}}
	h.deploy(restAPI("lamc", resource("/calc", method(integ))), "prod", nil)
	expectResp(t, "custom lambda", h.do("GET", restPath("lamc", "prod", "/calc?a=2&b=3"), ""), 200, `{"result":5}`)
	expectResp(t, "custom lambda error by selection pattern", h.do("GET", restPath("lamc", "prod", "/calc?a=2&b=0&op=div"), ""),
		400, `{"error":"DivideByZero: b is 0"}`)
}
