package gatewayresponse

import (
	"testing"

	"github.com/portico/portico/pkg/model"
)

// TestDefaults checks every type's default against AWS's table ("Gateway response types for
// API Gateway"): status, body and x-amzn-ErrorType.
func TestDefaults(t *testing.T) {
	want := map[Type]int{
		AccessDenied: 403, APIConfigurationError: 500, AuthorizerConfigurationError: 500, AuthorizerFailure: 500,
		BadRequestParameters: 400, BadRequestBody: 400, ExpiredToken: 403, IntegrationFailure: 504,
		IntegrationTimeout: 504, InvalidAPIKey: 403, InvalidSignature: 403, MissingAuthenticationToken: 403,
		QuotaExceeded: 429, RequestTooLarge: 413, ResourceNotFound: 404, Throttled: 429, Unauthorized: 401,
		UnsupportedMediaType: 415, WAFFiltered: 403,
	}
	if len(Defaults) != 21 {
		t.Errorf("len(Defaults) = %d, want 21", len(Defaults))
	}
	for typ, status := range want {
		r := Render(typ, "", nil)
		if r.Status != status {
			t.Errorf("Render(%s).Status = %d, want %d", typ, r.Status, status)
		}
		if string(r.Body) != `{"message":"`+Defaults[typ].Message+`"}` || Defaults[typ].Message == "" {
			t.Errorf("Render(%s).Body = %s", typ, r.Body)
		}
		if r.Headers["x-amzn-ErrorType"] == "" {
			t.Errorf("Render(%s) has no x-amzn-ErrorType", typ)
		}
	}
}

func TestCustomised(t *testing.T) {
	custom := map[string]model.GatewayResponse{
		"THROTTLED": {StatusCode: "503", ResponseParameters: map[string]string{"gatewayresponse.header.Retry-After": "'1'"},
			ResponseTemplates: map[string]string{"application/json": `{"type":"$context.error.responseType","m":$context.error.messageString}`}},
		"DEFAULT_4XX":  {StatusCode: "418", ResponseTemplates: map[string]string{"application/json": `{"x":"$context.error.message"}`}},
		"DEFAULT_5XX":  {ResponseParameters: map[string]string{"gatewayresponse.header.X-Five": "'5'"}},
		"UNAUTHORIZED": {ResponseParameters: map[string]string{"gatewayresponse.header.WWW-Authenticate": "'Bearer'"}},
	}
	tests := []struct {
		name   string
		typ    Type
		msg    string
		status int
		body   string
		header [2]string
	}{
		{"own customisation", Throttled, "", 503, `{"type":"THROTTLED","m":"Too Many Requests"}`, [2]string{"Retry-After", "1"}},
		{"DEFAULT_4XX status and template", ResourceNotFound, "", 418, `{"x":"Not Found"}`, [2]string{"x-amzn-ErrorType", "NotFoundException"}},
		{"own customisation without status keeps the type's", Unauthorized, "", 401, `{"message":"Unauthorized"}`, [2]string{"WWW-Authenticate", "Bearer"}},
		{"DEFAULT_5XX headers", IntegrationTimeout, "", 504, `{"message":"Endpoint request timed out"}`, [2]string{"X-Five", "5"}},
		{"message override", BadRequestParameters, "Missing required request parameters: [a]", 418, `{"x":"Missing required request parameters: [a]"}`, [2]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Render(tc.typ, tc.msg, custom)
			if r.Status != tc.status || string(r.Body) != tc.body {
				t.Errorf("Render(%s) = %d %s, want %d %s", tc.typ, r.Status, r.Body, tc.status, tc.body)
			}
			if tc.header[0] != "" && r.Headers[tc.header[0]] != tc.header[1] {
				t.Errorf("Render(%s) header %s = %q, want %q", tc.typ, tc.header[0], r.Headers[tc.header[0]], tc.header[1])
			}
		})
	}
}
