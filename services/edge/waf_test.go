package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

const (
	testIPSetID  = "0b3c5a2e-1111-4222-8333-444455556666"
	testIPSetARN = "arn:aws:wafv2:us-east-1:000000000000:regional/ipset/loopback/" + testIPSetID
	testACLID    = "7d9e1f20-aaaa-4bbb-8ccc-ddddeeeeffff"
	testACLARN   = "arn:aws:wafv2:us-east-1:000000000000:regional/webacl/edge-acl/" + testACLID
)

// testWebACL is a web ACL as admin stores it (the wafv2 JSON shapes; SearchString is base64):
//   - allow-listed: x-allow: yes is let through before any block rule;
//   - no-evil: a x-probe header containing "evil" in any case is blocked (WAF_FILTERED);
//   - slow-down: paths under /s/limited get a custom 429 with a JSON body and a header;
//   - loopback-admin: ?admin=1 from an address of the IP set is blocked.
const testWebACL = `{
  "Name": "edge-acl", "Id": "` + testACLID + `", "ARN": "` + testACLARN + `",
  "DefaultAction": {"Allow": {}},
  "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "edge-acl"},
  "LabelNamespace": "awswaf:000000000000:webacl:edge-acl:",
  "CustomResponseBodies": {"slow": {"ContentType": "APPLICATION_JSON", "Content": "{\"error\":\"slow down\"}"}},
  "Rules": [
    {"Name": "allow-listed", "Priority": 0, "Action": {"Allow": {}},
     "Statement": {"ByteMatchStatement": {"SearchString": "eWVz", "FieldToMatch": {"SingleHeader": {"Name": "x-allow"}},
       "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}}},
    {"Name": "no-evil", "Priority": 1, "Action": {"Block": {}},
     "Statement": {"ByteMatchStatement": {"SearchString": "ZXZpbA==", "FieldToMatch": {"SingleHeader": {"Name": "x-probe"}},
       "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}], "PositionalConstraint": "CONTAINS"}}},
    {"Name": "slow-down", "Priority": 2,
     "Action": {"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "slow",
       "ResponseHeaders": [{"Name": "x-waf", "Value": "custom"}]}}},
     "Statement": {"ByteMatchStatement": {"SearchString": "L3MvbGltaXRlZA==", "FieldToMatch": {"UriPath": {}},
       "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "STARTS_WITH"}}},
    {"Name": "loopback-admin", "Priority": 3, "Action": {"Block": {}},
     "Statement": {"AndStatement": {"Statements": [
       {"IPSetReferenceStatement": {"ARN": "` + testIPSetARN + `"}},
       {"ByteMatchStatement": {"SearchString": "MQ==", "FieldToMatch": {"SingleQueryArgument": {"Name": "admin"}},
         "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}}]}}}
  ]
}`

func testIPSet(addresses ...string) string {
	b, _ := json.Marshal(map[string]any{"Name": "loopback", "Id": testIPSetID, "ARN": testIPSetARN,
		"IPAddressVersion": "IPV4", "Addresses": addresses})
	return string(b)
}

// associate rewrites the stage with webAclArn set and waits until the edge serves it.
func (h *harness) associate(apiID, stage, arn string) {
	h.t.Helper()
	e, err := h.kv.Get(context.Background(), wire.KeyStage(apiID, stage))
	if err != nil {
		h.t.Fatal(err)
	}
	var st model.Stage
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		h.t.Fatal(err)
	}
	st.WebACLArn = arn
	h.put(wire.KeyStage(apiID, stage), st)
	natstest.Eventually(h.t, 10*time.Second, func() error {
		if s := (*h.svc.tables.Load())[apiID+"/"+stage]; s == nil || s.stage.WebACLArn != arn {
			return fmt.Errorf("stage %s/%s not served with web ACL %q yet", apiID, stage, arn)
		}
		return nil
	})
}

func (h *harness) put(key string, v any) {
	h.t.Helper()
	b, ok := v.(string)
	if !ok {
		raw, err := json.Marshal(v)
		if err != nil {
			h.t.Fatal(err)
		}
		b = string(raw)
	}
	if _, err := h.kv.Put(context.Background(), key, []byte(b)); err != nil {
		h.t.Fatal(err)
	}
}

// TestWAFFiltered: a stage with a web ACL is filtered before anything else; a blocking rule
// answers the WAF_FILTERED gateway response (AWS's default, then the API's customisation), a
// rule's custom response answers as configured, and IP set changes reach the edge.
func TestWAFFiltered(t *testing.T) {
	h := newHarness(t)
	ok := map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
		MethodIntegration: &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"ok":true}`}}}}}}
	api := restAPI("wafapi0001", resource("/pets", ok), resource("/limited/{id}", ok))
	h.deploy(api, "s", nil)
	custom := restAPI("wafapi0002", resource("/pets", ok))
	custom.GatewayResponses = map[string]model.GatewayResponse{"WAF_FILTERED": {StatusCode: "406",
		ResponseParameters: map[string]string{"gatewayresponse.header.x-blocked-by": "'waf'"},
		ResponseTemplates:  map[string]string{"application/json": `{"blocked":"$context.error.message"}`}}}
	h.deploy(custom, "s", nil)

	h.put(wire.KeyWAFIPSet(testIPSetID), testIPSet("127.0.0.0/8"))
	h.put(wire.KeyWebACL(testACLID), testWebACL)
	natstest.Eventually(t, 10*time.Second, func() error {
		if m := h.svc.webACLs.Load(); m == nil || (*m)[testACLARN] == nil {
			return fmt.Errorf("web ACL not compiled yet")
		}
		return nil
	})
	h.associate("wafapi0001", "s", testACLARN)
	h.associate("wafapi0002", "s", testACLARN)

	pets := restPath("wafapi0001", "s", "/pets")
	expectResp(t, "no rule matches", h.do("GET", pets, ""), 200, `{"ok":true}`)
	blocked := h.do("GET", pets, "", "x-probe", "an EViL probe")
	expectResp(t, "no-evil", blocked, 403, `{"message":"Forbidden"}`)
	if got := blocked.header.Get("x-amzn-ErrorType"); got != "ForbiddenException" {
		t.Errorf("no-evil x-amzn-ErrorType = %q, want ForbiddenException", got)
	}
	expectResp(t, "allow rule first", h.do("GET", pets, "", "x-probe", "evil", "x-allow", "yes"), 200, `{"ok":true}`)
	expectResp(t, "blocked before routing", h.do("GET", restPath("wafapi0001", "s", "/nothing"), "", "x-probe", "evil"),
		403, `{"message":"Forbidden"}`)

	limited := h.do("GET", restPath("wafapi0001", "s", "/limited/7"), "")
	expectResp(t, "custom response", limited, 429, `{"error":"slow down"}`)
	if limited.header.Get("x-waf") != "custom" || limited.header.Get("Content-Type") != "application/json" {
		t.Errorf("custom response headers = %v, want x-waf: custom and application/json", limited.header)
	}

	expectResp(t, "IP set and query", h.do("GET", pets+"?admin=1", ""), 403, `{"message":"Forbidden"}`)
	expectResp(t, "IP set, other query", h.do("GET", pets+"?admin=2", ""), 200, `{"ok":true}`)

	c := h.do("GET", restPath("wafapi0002", "s", "/pets"), "", "x-probe", "evil")
	expectResp(t, "customised WAF_FILTERED", c, 406, `{"blocked":"Forbidden"}`)
	if c.header.Get("x-blocked-by") != "waf" {
		t.Errorf("customised WAF_FILTERED header x-blocked-by = %q, want waf", c.header.Get("x-blocked-by"))
	}

	// The IP set no longer holds loopback: the edge recompiles and lets ?admin=1 through.
	h.put(wire.KeyWAFIPSet(testIPSetID), testIPSet("192.0.2.0/24"))
	natstest.Eventually(t, 10*time.Second, func() error {
		if r := h.do("GET", pets+"?admin=1", ""); r.status != 200 {
			return fmt.Errorf("after the IP set update ?admin=1 = %d %s", r.status, r.body)
		}
		return nil
	})

	// A stage naming a web ACL the edge does not have fails closed.
	h.associate("wafapi0001", "s", "arn:aws:wafv2:us-east-1:000000000000:regional/webacl/gone/00000000-0000-4000-8000-000000000000")
	expectResp(t, "unknown web ACL", h.do("GET", pets, ""), 403, `{"message":"Forbidden"}`)
	h.associate("wafapi0001", "s", "")
	expectResp(t, "disassociated", h.do("GET", pets, "", "x-probe", "evil"), 200, `{"ok":true}`)
}
