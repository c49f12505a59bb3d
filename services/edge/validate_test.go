package edge

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/model"
)

func validatedAPI(id string) model.RestAPI {
	mock := &model.Integration{Type: model.IntegrationMock,
		RequestTemplates:     map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"ok":true}`}}}}
	api := restAPI(id,
		resource("/pets/{id}", map[string]model.Method{"POST": {HTTPMethod: "POST", AuthorizationType: "NONE", RequestValidatorID: "v-all",
			RequestParameters: map[string]bool{"method.request.path.id": true, "method.request.querystring.owner": true,
				"method.request.header.X-Trace": true, "method.request.querystring.optional": false},
			RequestModels:     map[string]string{"application/json": "Pet"},
			MethodIntegration: mock}}),
		resource("/params", map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE", RequestValidatorID: "v-params",
			RequestParameters: map[string]bool{"method.request.querystring.q": true},
			RequestModels:     map[string]string{"application/json": "Pet"}, MethodIntegration: mock}}),
	)
	api.RequestValidators = []model.RequestValidator{
		{ID: "v-all", Name: "all", ValidateRequestBody: true, ValidateRequestParameters: true},
		{ID: "v-params", Name: "params", ValidateRequestParameters: true},
	}
	api.Models = []model.Model{
		{ID: "m1", Name: "Pet", ContentType: "application/json", Schema: `{"$schema":"http://json-schema.org/draft-04/schema#","type":"object",
			"required":["name","owner"],"properties":{"name":{"type":"string","minLength":1},
			"owner":{"$ref":"https://apigateway.amazonaws.com/restapis/SOMEID/models/Owner"}}}`},
		{ID: "m2", Name: "Owner", ContentType: "application/json", Schema: `{"type":"object","required":["email"],
			"properties":{"email":{"type":"string","pattern":"^[^@]+@[^@]+$"}}}`},
	}
	return api
}

func TestRequestValidation(t *testing.T) {
	h := newHarness(t)
	h.deploy(validatedAPI("val1"), "v", nil)
	good := `{"name":"rex","owner":{"email":"a@b"}}`
	tests := []struct {
		name   string
		path   string
		body   string
		hdr    []string
		status int
		want   string
	}{
		{"valid", "/pets/1?owner=o", good, []string{"X-Trace", "t", "Content-Type", "application/json"}, 200, `{"ok":true}`},
		{"missing query and header", "/pets/1", good, []string{"Content-Type", "application/json"}, 400,
			`{"message":"Missing required request parameters: [X-Trace, owner]"}`},
		{"missing header", "/pets/1?owner=o", good, []string{"Content-Type", "application/json"}, 400,
			`{"message":"Missing required request parameters: [X-Trace]"}`},
		{"body misses a property", "/pets/1?owner=o", `{"name":"rex"}`, []string{"X-Trace", "t", "Content-Type", "application/json"}, 400,
			`{"message":"Invalid request body"}`},
		{"body fails the referenced model", "/pets/1?owner=o", `{"name":"rex","owner":{"email":"nope"}}`, []string{"X-Trace", "t"}, 400,
			`{"message":"Invalid request body"}`},
		{"body not JSON", "/pets/1?owner=o", `{"name":`, []string{"X-Trace", "t", "Content-Type", "application/json"}, 400,
			`{"message":"Invalid request body"}`},
		{"params-only validator ignores the body", "/params?q=1", `not json`, []string{"Content-Type", "application/json"}, 200, `{"ok":true}`},
		{"params-only validator", "/params", ``, nil, 400, `{"message":"Missing required request parameters: [q]"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if strings.HasPrefix(tc.path, "/params") {
				method = "GET"
			}
			resp := h.do(method, restPath("val1", "v", tc.path), tc.body, tc.hdr...)
			expectResp(t, tc.name, resp, tc.status, tc.want)
			if tc.status == 400 && resp.header.Get("x-amzn-ErrorType") != "BadRequestException" {
				t.Errorf("x-amzn-ErrorType = %q, want BadRequestException", resp.header.Get("x-amzn-ErrorType"))
			}
		})
	}
}

// TestGatewayResponses triggers the gateway responses the data plane answers, with AWS's
// defaults and with an API's customisations (per type, and DEFAULT_4XX/5XX fallbacks).
func TestGatewayResponses(t *testing.T) {
	h := newHarness(t)
	sub, err := h.nc.Subscribe("slow", func(*nats.Msg) {}) // never answers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	slow := map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
		MethodIntegration: &model.Integration{Type: model.IntegrationNATSProxy, URI: "slow", TimeoutInMillis: 50}}}
	never := map[string]model.Method{"POST": {HTTPMethod: "POST", AuthorizationType: "NONE",
		MethodIntegration: &model.Integration{Type: model.IntegrationMock, PassthroughBehavior: "NEVER",
			IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200"}}}}}
	plain := validatedAPI("gr1")
	plain.Resources = append(plain.Resources, resource("/slow", slow), resource("/never", never))
	h.deploy(plain, "s", nil)

	custom := validatedAPI("gr2")
	custom.Resources = append(custom.Resources, resource("/slow", slow), resource("/never", never))
	custom.GatewayResponses = map[string]model.GatewayResponse{
		"BAD_REQUEST_BODY": {StatusCode: "422", ResponseParameters: map[string]string{"gatewayresponse.header.X-Why": "'schema'"},
			ResponseTemplates: map[string]string{"application/json": `{"error":$context.error.messageString}`}},
		"DEFAULT_4XX": {ResponseParameters: map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
			ResponseTemplates: map[string]string{"application/json": `{"oops":"$context.error.message"}`}},
		"DEFAULT_5XX": {ResponseParameters: map[string]string{"gatewayresponse.header.X-Five": "'5'"}},
	}
	h.deploy(custom, "s", nil)

	tests := []struct {
		name      string
		api       string
		method    string
		path      string
		body      string
		hdr       []string
		status    int
		body_     string
		errorType string
		header    [2]string
	}{
		{"MISSING_AUTHENTICATION_TOKEN", "gr1", "GET", "/nowhere", "", nil, 403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException", [2]string{}},
		{"BAD_REQUEST_PARAMETERS", "gr1", "GET", "/params", "", nil, 400, `{"message":"Missing required request parameters: [q]"}`, "BadRequestException", [2]string{}},
		{"BAD_REQUEST_BODY", "gr1", "POST", "/pets/1?owner=o", `{}`, []string{"X-Trace", "1"}, 400, `{"message":"Invalid request body"}`, "BadRequestException", [2]string{}},
		{"UNSUPPORTED_MEDIA_TYPE", "gr1", "POST", "/never", `x`, []string{"Content-Type", "text/plain"}, 415, `{"message":"Unsupported Media Type"}`, "BadRequestException", [2]string{}},
		{"INTEGRATION_TIMEOUT", "gr1", "GET", "/slow", "", nil, 504, `{"message":"Endpoint request timed out"}`, "InternalServerErrorException", [2]string{}},
		{"REQUEST_TOO_LARGE", "gr1", "POST", "/never", strings.Repeat("x", 2<<20), nil, 413, `{"message":"Request Too Long"}`, "RequestTooLongException", [2]string{}},
		{"custom BAD_REQUEST_BODY", "gr2", "POST", "/pets/1?owner=o", `{}`, []string{"X-Trace", "1"}, 422, `{"error":"Invalid request body"}`, "BadRequestException", [2]string{"X-Why", "schema"}},
		{"DEFAULT_4XX fallback", "gr2", "GET", "/params", "", nil, 400, `{"oops":"Missing required request parameters: [q]"}`, "BadRequestException", [2]string{"Access-Control-Allow-Origin", "*"}},
		{"DEFAULT_4XX on a miss", "gr2", "GET", "/nowhere", "", nil, 403, `{"oops":"Missing Authentication Token"}`, "MissingAuthenticationTokenException", [2]string{"Access-Control-Allow-Origin", "*"}},
		{"DEFAULT_5XX fallback", "gr2", "GET", "/slow", "", nil, 504, `{"message":"Endpoint request timed out"}`, "InternalServerErrorException", [2]string{"X-Five", "5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var resp response
			if tc.name == "REQUEST_TOO_LARGE" {
				resp = h.tooLarge(restPath(tc.api, "s", tc.path), len(tc.body))
			} else {
				resp = h.do(tc.method, restPath(tc.api, "s", tc.path), tc.body, tc.hdr...)
			}
			expectResp(t, tc.name, resp, tc.status, tc.body_)
			if got := resp.header.Get("x-amzn-ErrorType"); got != tc.errorType {
				t.Errorf("x-amzn-ErrorType = %q, want %q", got, tc.errorType)
			}
			if tc.header[0] != "" && resp.header.Get(tc.header[0]) != tc.header[1] {
				t.Errorf("header %s = %q, want %q", tc.header[0], resp.header.Get(tc.header[0]), tc.header[1])
			}
		})
	}
}

func TestIntegrationTimeoutBounds(t *testing.T) {
	s := &Service{}
	tests := []struct {
		millis int
		want   string
	}{{0, "29s"}, {1, "50ms"}, {50, "50ms"}, {1500, "1.5s"}, {29000, "29s"}, {120000, "30s"}}
	for _, tc := range tests {
		if got := s.timeout(&model.Integration{TimeoutInMillis: tc.millis}).String(); got != tc.want {
			t.Errorf("timeout(%d ms) = %s, want %s", tc.millis, got, tc.want)
		}
	}
}

func TestRequestLimits(t *testing.T) {
	h := newHarness(t)
	h.deploy(validatedAPI("lim1"), "s", nil)
	expectResp(t, "URI over the bound", h.do("GET", restPath("lim1", "s", "/params?q="+strings.Repeat("a", 9000)), ""),
		414, `{"message":"Request-URI Too Long"}`)
	expectResp(t, "headers over the bound", h.do("GET", restPath("lim1", "s", "/params?q=1"), "", "X-Big", strings.Repeat("b", 20<<10)),
		431, `{"message":"Request Header Fields Too Large"}`)
	expectResp(t, "body over the bound", h.tooLarge(restPath("lim1", "s", "/pets/1"), 2<<20),
		413, `{"message":"Request Too Long"}`)
	expectResp(t, "within the bounds", h.do("GET", restPath("lim1", "s", "/params?q="+strings.Repeat("a", 4000)), ""), 200, `{"ok":true}`)
}

// TestValidationErrorString: a BAD_REQUEST_BODY template can show the validator's findings
// with $context.error.validationErrorString.
func TestValidationErrorString(t *testing.T) {
	h := newHarness(t)
	api := validatedAPI("val2")
	api.GatewayResponses = map[string]model.GatewayResponse{"BAD_REQUEST_BODY": {
		ResponseTemplates: map[string]string{"application/json": `{"message":$context.error.messageString,"details":"$context.error.validationErrorString"}`}}}
	h.deploy(api, "v", nil)
	resp := h.do("POST", restPath("val2", "v", "/pets/1?owner=o"), `{"name":"rex"}`, "X-Trace", "t", "Content-Type", "application/json")
	var out struct{ Message, Details string }
	if resp.status != 400 || json.Unmarshal([]byte(resp.body), &out) != nil || out.Message != "Invalid request body" ||
		!strings.HasPrefix(out.Details, "[") || !strings.Contains(out.Details, "owner") {
		t.Errorf("invalid body with a validationErrorString template = %d %s", resp.status, resp.body)
	}
}

// tooLarge sends a POST announcing a body of n bytes and reads the answer without sending the
// body, as a client does that waits for the headers' verdict: the server refuses on the
// Content-Length, and a body still in flight would only race its close (connection reset).
func (h *harness) tooLarge(path string, n int) response {
	h.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.base, "http://"))
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", path, n)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		h.t.Fatalf("POST %s with a %d-byte body announced: %v", path, n, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}
