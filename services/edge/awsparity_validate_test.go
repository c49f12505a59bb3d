package edge

import (
	"testing"

	"github.com/portico/portico/pkg/model"
)

// AWS parity of request validation, against LocalStack's AWS-validated recording
// (tests/aws/services/apigateway/test_apigateway_common.snapshot.json,
// test_api_gateway_request_validator): 400 with x-amzn-ErrorType BadRequestException, the
// missing parameters listed header first, then path, then query string, and
// {"message": "Invalid request body"} for a body its model refuses.
func TestAWSParityRequestValidator(t *testing.T) {
	h := newHarness(t)
	proxy := &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"ok":true}`}}}}
	params := map[string]bool{"method.request.header.x-header-param": true, "method.request.path.issuer": true,
		"method.request.querystring.qs1": true}
	method := func(verb string) model.Method {
		return model.Method{HTTPMethod: verb, AuthorizationType: "NONE", RequestValidatorID: "v1", RequestParameters: params,
			RequestModels: map[string]string{"application/json": "testSchema"}, MethodIntegration: proxy}
	}
	api := restAPI("parityv1", resource("/{issuer}", map[string]model.Method{"POST": method("POST"), "GET": method("GET")}))
	api.RequestValidators = []model.RequestValidator{{ID: "v1", Name: "test-validator", ValidateRequestBody: true, ValidateRequestParameters: true}}
	api.Models = []model.Model{{ID: "m1", Name: "testSchema", ContentType: "application/json", Schema: `{
		"$schema": "http://json-schema.org/draft-04/schema#", "title": "testSchema", "type": "object",
		"properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}`}}
	h.deploy(api, "dev", nil)

	tests := []struct {
		name   string
		method string
		path   string
		body   string
		hdr    []string
		status int
		want   string
	}{
		{"missing all required parameters", "POST", "/test", `{"a":1,"b":2}`, nil, 400,
			`{"message":"Missing required request parameters: [x-header-param, qs1]"}`},
		{"missing the header", "GET", "/test?qs1=foo", "", nil, 400,
			`{"message":"Missing required request parameters: [x-header-param]"}`},
		{"missing the query string", "GET", "/test", "", []string{"x-header-param", "foo"}, 400,
			`{"message":"Missing required request parameters: [qs1]"}`},
		{"invalid body", "POST", "/test?qs1=foo", `{"a":1}`, []string{"x-header-param", "foo", "Content-Type", "application/json"}, 400,
			`{"message":"Invalid request body"}`},
		{"valid", "POST", "/test?qs1=foo", `{"a":1,"b":2}`, []string{"x-header-param", "foo", "Content-Type", "application/json"}, 200,
			`{"ok":true}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.do(tc.method, restPath("parityv1", "dev", tc.path), tc.body, tc.hdr...)
			expectResp(t, tc.name, resp, tc.status, tc.want)
			if tc.status == 400 {
				if got := resp.header.Get("x-amzn-ErrorType"); got != "BadRequestException" {
					t.Errorf("x-amzn-ErrorType = %q, want BadRequestException", got)
				}
				if got := resp.header.Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", got)
				}
			}
		})
	}
}

// TestAWSParityRequestValidatorOrder: the recorded order when a path parameter is also missing
// ("Missing required request parameters: [x-header-param, issuer, qs1]"), with a required path
// parameter the route does not capture.
func TestAWSParityRequestValidatorOrder(t *testing.T) {
	h := newHarness(t)
	mock := &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200"}}}
	api := restAPI("parityv2", resource("/{test}", map[string]model.Method{"POST": {HTTPMethod: "POST", AuthorizationType: "NONE",
		RequestValidatorID: "v1", MethodIntegration: mock, RequestParameters: map[string]bool{"method.request.header.x-header-param": true,
			"method.request.path.issuer": true, "method.request.querystring.qs1": true}}}))
	api.RequestValidators = []model.RequestValidator{{ID: "v1", Name: "test-validator", ValidateRequestParameters: true}}
	h.deploy(api, "dev", nil)
	expectResp(t, "POST /test", h.do("POST", restPath("parityv2", "dev", "/test"), ""), 400,
		`{"message":"Missing required request parameters: [x-header-param, issuer, qs1]"}`)
}
