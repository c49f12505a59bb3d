package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/backend"
	"github.com/portico/portico/pkg/natstest"
)

// dataPlaneAPI exercises the data plane through an OpenAPI import: a Lambda proxy function,
// a NATS (non-proxy) integration with mapping templates and selection patterns, a MOCK, a
// request validator with models referring to each other, and customised gateway responses.
const dataPlaneAPI = `openapi: 3.0.1
info: {title: dataplane, version: "1"}
x-amazon-apigateway-request-validators:
  all: {validateRequestBody: true, validateRequestParameters: true}
x-amazon-apigateway-gateway-responses:
  BAD_REQUEST_BODY:
    statusCode: 422
    responseParameters: {gatewayresponse.header.X-Why: "'validation'"}
    responseTemplates: {application/json: '{"error":$context.error.messageString}'}
paths:
  /hello/{name}:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:dp-hello/invocations
  /orders:
    post:
      x-amazon-apigateway-request-validator: all
      parameters:
        - {name: X-Tenant, in: header, required: true, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Order'}
      x-amazon-apigateway-integration:
        type: nats
        uri: dp.orders
        requestParameters: {integration.request.header.X-Tenant: method.request.header.X-Tenant}
        requestTemplates:
          application/json: '{"sku":"$input.path(''$.item.sku'')","tenant":"$input.params(''X-Tenant'')"}'
        responses:
          default:
            statusCode: "201"
            responseTemplates: {application/json: '{"order":"$input.path(''$.id'')"}'}
          "Out of stock.*":
            statusCode: "409"
            responseTemplates: {application/json: '{"message":"out of stock"}'}
  /status:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"stage":"$context.stage","id":"$context.requestId"}'}
components:
  schemas:
    Order:
      type: object
      required: [item]
      properties:
        item: {$ref: '#/components/schemas/Item'}
    Item:
      type: object
      required: [sku]
      properties:
        sku: {type: string, minLength: 1}
`

// helloEvent and helloResponse are the parts of the Lambda proxy event and response the
// function uses (aws-lambda-go's events types have the same JSON).
type helloEvent struct {
	PathParameters map[string]string `json:"pathParameters"`
	RequestContext struct {
		Stage string `json:"stage"`
		Path  string `json:"path"`
	} `json:"requestContext"`
}

type helloResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

func TestDataPlane(t *testing.T) {
	g := startServe(t, serveOptions{})
	nc := natstest.ConnectURL(t, g.natsURL())
	fns, err := backend.New(nc, backend.Config{Name: "dataplane"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fns.Stop() })
	if err := fns.HandleLambda("dp-hello", func(ctx context.Context, e helloEvent) (helloResponse, error) {
		return helloResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain"},
			Body: "hello " + e.PathParameters["name"] + " from " + e.RequestContext.Path}, nil
	}); err != nil {
		t.Fatal(err)
	}
	orders, err := nc.Subscribe("dp.orders", func(m *nats.Msg) {
		var in struct{ Sku, Tenant string }
		_ = json.Unmarshal(m.Data, &in)
		if in.Sku == "gone" {
			r := nats.NewMsg(m.Reply)
			r.Header.Set("Nats-Service-Error-Code", "500")
			r.Header.Set("Nats-Service-Error", "Out of stock: gone")
			_ = m.RespondMsg(r)
			return
		}
		_ = m.Respond([]byte(`{"id":"` + in.Tenant + "-" + in.Sku + `"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = orders.Unsubscribe() })

	imp := importAPI(t, g, dataPlaneAPI, "--stage", "live")
	base := imp.InvokeURL

	t.Run("lambda proxy", func(t *testing.T) {
		r := do(t, "GET", base+"/hello/ann", "")
		expect(t, "GET /hello/ann", r, 200, "hello ann from /live/hello/ann")
		if r.header.Get("Content-Type") != "text/plain" {
			t.Errorf("Content-Type = %q, want text/plain", r.header.Get("Content-Type"))
		}
	})
	t.Run("nats with templates", func(t *testing.T) {
		expect(t, "POST /orders", do(t, "POST", base+"/orders", `{"item":{"sku":"a1"}}`, "Content-Type", "application/json", "X-Tenant", "acme"),
			201, `{"order":"acme-a1"}`)
		expect(t, "POST /orders (error pattern)", do(t, "POST", base+"/orders", `{"item":{"sku":"gone"}}`, "Content-Type", "application/json", "X-Tenant", "acme"),
			409, `{"message":"out of stock"}`)
	})
	t.Run("validation", func(t *testing.T) {
		expect(t, "missing header", do(t, "POST", base+"/orders", `{"item":{"sku":"a1"}}`, "Content-Type", "application/json"),
			400, `{"message":"Missing required request parameters: [X-Tenant]"}`)
		r := do(t, "POST", base+"/orders", `{"item":{"sku":""}}`, "Content-Type", "application/json", "X-Tenant", "acme")
		expect(t, "invalid body (customised BAD_REQUEST_BODY)", r, 422, `{"error":"Invalid request body"}`)
		if r.header.Get("X-Why") != "validation" {
			t.Errorf("X-Why = %q, want validation", r.header.Get("X-Why"))
		}
	})
	t.Run("mock", func(t *testing.T) {
		r := do(t, "GET", base+"/status", "")
		expect(t, "GET /status", r, 200, `{"stage":"live","id":"`+r.header.Get("x-amzn-RequestId")+`"}`)
	})
}
