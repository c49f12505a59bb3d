package edge

import (
	"testing"

	"github.com/portico/portico/pkg/model"
)

// TestResourcePolicy: an API's resource policy is evaluated at the edge against the caller's
// source IP; an explicit deny wins, and a route with no authorizer needs an explicit allow.
func TestResourcePolicy(t *testing.T) {
	h := newHarness(t)
	mock := map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
		MethodIntegration: &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `"ok"`}}}}}}
	const allowAllIPs = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
	const denyLoopback = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"},
		{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/GET/private",
		 "Condition":{"IpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]}}}]}`
	const onlyOtherNet = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke",
		"Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	cases := []struct {
		name, policy, path string
		status             int
		body               string
	}{
		{"allow all", allowAllIPs, "/private", 200, `"ok"`},
		{"deny by source ip", denyLoopback, "/private", 403, `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:000000000000:polapi0001/s/GET/private with an explicit deny"}`},
		{"other resource still allowed", denyLoopback, "/public", 200, `"ok"`},
		{"no matching allow", onlyOtherNet, "/public", 403, ""},
		{"unreadable policy refuses", `{not json`, "/public", 403, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := restAPI("polapi0001", resource("/private", mock), resource("/public", mock))
			api.Policy = tc.policy
			h.deploy(api, "s", nil)
			expectResp(t, "GET "+tc.path, h.do("GET", restPath("polapi0001", "s", tc.path), ""), tc.status, tc.body)
		})
	}
}
