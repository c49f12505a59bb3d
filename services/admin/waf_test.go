package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// wafCallAs sends a wafv2 JSON 1.1 call signed for service.
func (e *env) wafCallAs(t *testing.T, service, op string, in any) response {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", e.srv.URL+"/", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSWAF_20190729."+op)
	sum := sha256.Sum256(data)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
		req, hex.EncodeToString(sum[:]), service, "eu-west-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: out}
}

// wafOK calls op and decodes its 200 answer into out (may be nil).
func (e *env) wafOK(t *testing.T, op string, in, out any) {
	t.Helper()
	r := e.wafCallAs(t, "wafv2", op, in)
	if r.status != http.StatusOK {
		t.Fatalf("%s = %d %s, want 200", op, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("%s Content-Type = %q, want application/x-amz-json-1.1", op, ct)
	}
	if out != nil {
		r.json(t, out)
	}
}

// wafErr calls op and checks it fails with the JSON 1.1 error errType; it returns the body.
func (e *env) wafErr(t *testing.T, op string, in any, errType string) map[string]string {
	t.Helper()
	r := e.wafCallAs(t, "wafv2", op, in)
	var body map[string]string
	r.json(t, &body)
	if r.status != http.StatusBadRequest || body["__type"] != errType || r.errorType() != errType {
		t.Fatalf("%s = %d %s (x-amzn-ErrorType %q), want 400 %s", op, r.status, r.body, r.errorType(), errType)
	}
	return body
}

type wafSummaryOut struct {
	Summary wafSummary
}

func TestWAFIPSetLifecycle(t *testing.T) {
	e := newEnv(t)
	var created wafSummaryOut
	e.wafOK(t, "CreateIPSet", map[string]any{"Name": "office", "Scope": "REGIONAL", "IPAddressVersion": "IPV4",
		"Addresses": []string{"192.0.2.0/24"}, "Description": "the office"}, &created)
	s := created.Summary
	if !validWAFID(s.Id) || s.LockToken == "" || s.Description != "the office" ||
		s.ARN != "arn:aws:wafv2:eu-west-1:000000000000:regional/ipset/office/"+s.Id {
		t.Fatalf("CreateIPSet summary = %+v", s)
	}
	e.wafErr(t, "CreateIPSet", map[string]any{"Name": "office", "Scope": "REGIONAL", "IPAddressVersion": "IPV4",
		"Addresses": []string{}}, "WAFDuplicateItemException")
	bad := e.wafErr(t, "CreateIPSet", map[string]any{"Name": "bad", "Scope": "REGIONAL", "IPAddressVersion": "IPV4",
		"Addresses": []string{"not-an-ip"}}, "WAFInvalidParameterException")
	if bad["Field"] == "" || !strings.HasPrefix(bad["Message"], "Error reason: ") {
		t.Errorf("invalid address error = %v, want a Field and AWS's message shape", bad)
	}
	e.wafErr(t, "CreateIPSet", map[string]any{"Name": "cf", "Scope": "CLOUDFRONT", "IPAddressVersion": "IPV4",
		"Addresses": []string{}}, "WAFInvalidParameterException")

	ref := map[string]any{"Name": "office", "Scope": "REGIONAL", "Id": s.Id}
	var got struct {
		IPSet struct {
			Addresses []string
			ARN       string
		}
		LockToken string
	}
	e.wafOK(t, "GetIPSet", ref, &got)
	if got.LockToken != s.LockToken || got.IPSet.ARN != s.ARN || len(got.IPSet.Addresses) != 1 {
		t.Fatalf("GetIPSet = %+v, want the created set and token %s", got, s.LockToken)
	}
	e.wafErr(t, "GetIPSet", map[string]any{"Name": "other", "Scope": "REGIONAL", "Id": s.Id}, "WAFNonexistentItemException")

	upd := map[string]any{"Name": "office", "Scope": "REGIONAL", "Id": s.Id, "LockToken": s.LockToken,
		"Addresses": []string{"192.0.2.0/24", "198.51.100.7/32"}}
	var next struct{ NextLockToken string }
	e.wafOK(t, "UpdateIPSet", upd, &next)
	if next.NextLockToken == "" || next.NextLockToken == s.LockToken {
		t.Fatalf("UpdateIPSet NextLockToken = %q, want a new token", next.NextLockToken)
	}
	// The old token is stale now: AWS's optimistic lock.
	e.wafErr(t, "UpdateIPSet", upd, "WAFOptimisticLockException")
	e.wafErr(t, "DeleteIPSet", map[string]any{"Name": "office", "Scope": "REGIONAL", "Id": s.Id, "LockToken": s.LockToken},
		"WAFOptimisticLockException")

	var list struct{ IPSets []wafSummary }
	e.wafOK(t, "ListIPSets", map[string]any{"Scope": "REGIONAL"}, &list)
	if len(list.IPSets) != 1 || list.IPSets[0].LockToken != next.NextLockToken {
		t.Fatalf("ListIPSets = %+v, want the one set with token %s", list, next.NextLockToken)
	}
	e.wafOK(t, "DeleteIPSet", map[string]any{"Name": "office", "Scope": "REGIONAL", "Id": s.Id, "LockToken": next.NextLockToken}, nil)
	e.wafErr(t, "GetIPSet", ref, "WAFNonexistentItemException")
}

// blockHeaderACL is a web ACL as `aws wafv2 create-web-acl` sends it: block requests whose
// x-probe header contains "evil" (SearchString is a base64 blob on the wire) and requests
// from the IP set ipSetARN.
func blockHeaderACL(name, ipSetARN string) map[string]any {
	vis := map[string]any{"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": name}
	return map[string]any{
		"Name": name, "Scope": "REGIONAL", "DefaultAction": map[string]any{"Allow": map[string]any{}},
		"VisibilityConfig": vis,
		"Rules": []any{
			map[string]any{"Name": "no-evil", "Priority": 1, "Action": map[string]any{"Block": map[string]any{}}, "VisibilityConfig": vis,
				"Statement": map[string]any{"ByteMatchStatement": map[string]any{
					"SearchString": "ZXZpbA==", "FieldToMatch": map[string]any{"SingleHeader": map[string]any{"Name": "x-probe"}},
					"TextTransformations": []any{map[string]any{"Priority": 0, "Type": "LOWERCASE"}}, "PositionalConstraint": "CONTAINS"}}},
			map[string]any{"Name": "blocked-ips", "Priority": 2, "Action": map[string]any{"Block": map[string]any{}}, "VisibilityConfig": vis,
				"Statement": map[string]any{"IPSetReferenceStatement": map[string]any{"ARN": ipSetARN}}},
		},
	}
}

func TestWAFWebACLAssociation(t *testing.T) {
	e := newEnv(t)
	api := e.importDoc(t, "petstore-oas3.yaml")
	e.deploy(t, api, "prod")

	var ips wafSummaryOut
	e.wafOK(t, "CreateIPSet", map[string]any{"Name": "bad-actors", "Scope": "REGIONAL", "IPAddressVersion": "IPV4",
		"Addresses": []string{"203.0.113.0/24"}}, &ips)
	e.wafErr(t, "CreateWebACL", blockHeaderACL("edge-acl", strings.Replace(ips.Summary.ARN, ips.Summary.Id, newWAFID(), 1)),
		"WAFNonexistentItemException")
	var acl wafSummaryOut
	e.wafOK(t, "CreateWebACL", blockHeaderACL("edge-acl", ips.Summary.ARN), &acl)
	var got struct {
		WebACL struct {
			ARN, LabelNamespace string
			Capacity            int64
			Rules               []struct{ Name string }
		}
		LockToken string
	}
	e.wafOK(t, "GetWebACL", map[string]any{"ARN": acl.Summary.ARN}, &got)
	if got.WebACL.ARN != acl.Summary.ARN || len(got.WebACL.Rules) != 2 || got.WebACL.Capacity <= 0 ||
		got.WebACL.LabelNamespace != "awswaf:000000000000:webacl:edge-acl:" {
		t.Fatalf("GetWebACL = %+v", got)
	}
	// An IP set a web ACL references cannot go.
	e.wafErr(t, "DeleteIPSet", map[string]any{"Name": "bad-actors", "Scope": "REGIONAL", "Id": ips.Summary.Id,
		"LockToken": ips.Summary.LockToken}, "WAFAssociatedItemException")

	stage := stageARN("eu-west-1", api, "prod")
	e.wafErr(t, "AssociateWebACL", map[string]any{"WebACLArn": acl.Summary.ARN,
		"ResourceArn": "arn:aws:apigateway:eu-west-1::/apis/" + api + "/stages/prod"}, "WAFInvalidParameterException")
	e.wafErr(t, "AssociateWebACL", map[string]any{"WebACLArn": acl.Summary.ARN,
		"ResourceArn": stageARN("eu-west-1", api, "nostage")}, "WAFNonexistentItemException")
	e.wafOK(t, "AssociateWebACL", map[string]any{"WebACLArn": acl.Summary.ARN, "ResourceArn": stage}, nil)
	// A WebSocket API's stage, even named the REST way, is not a WAF resource.
	var ws struct {
		APIID string `json:"apiId"`
	}
	e.must(t, http.StatusCreated, "POST", "/v2/apis", map[string]any{"name": "ws", "protocolType": "WEBSOCKET",
		"routeSelectionExpression": "$request.body.action"}).json(t, &ws)
	e.must(t, http.StatusCreated, "POST", "/v2/apis/"+ws.APIID+"/stages", map[string]any{"stageName": "live"})
	e.wafErr(t, "AssociateWebACL", map[string]any{"WebACLArn": acl.Summary.ARN,
		"ResourceArn": stageARN("eu-west-1", ws.APIID, "live")}, "WAFInvalidParameterException")

	var sv stageView
	e.must(t, http.StatusOK, "GET", "/restapis/"+api+"/stages/prod", nil).json(t, &sv)
	if sv.WebACLArn != acl.Summary.ARN {
		t.Fatalf("GetStage webAclArn = %q, want %q", sv.WebACLArn, acl.Summary.ARN)
	}
	var forRes struct{ WebACL struct{ Name string } }
	e.wafOK(t, "GetWebACLForResource", map[string]any{"ResourceArn": stage}, &forRes)
	if forRes.WebACL.Name != "edge-acl" {
		t.Fatalf("GetWebACLForResource = %+v, want edge-acl", forRes)
	}
	var res struct{ ResourceArns []string }
	e.wafOK(t, "ListResourcesForWebACL", map[string]any{"WebACLArn": acl.Summary.ARN, "ResourceType": "API_GATEWAY"}, &res)
	if len(res.ResourceArns) != 1 || res.ResourceArns[0] != stage {
		t.Fatalf("ListResourcesForWebACL = %v, want [%s]", res.ResourceArns, stage)
	}

	del := map[string]any{"Name": "edge-acl", "Scope": "REGIONAL", "Id": acl.Summary.Id, "LockToken": got.LockToken}
	e.wafErr(t, "DeleteWebACL", del, "WAFAssociatedItemException")
	e.wafOK(t, "DisassociateWebACL", map[string]any{"ResourceArn": stage}, nil)
	if sg := e.stage(t, api, "prod"); sg.WebACLArn != "" {
		t.Fatalf("stage webAclArn after disassociate = %q", sg.WebACLArn)
	}
	var none map[string]any
	e.wafOK(t, "GetWebACLForResource", map[string]any{"ResourceArn": stage}, &none)
	if len(none) != 0 {
		t.Fatalf("GetWebACLForResource after disassociate = %v, want {}", none)
	}
	e.wafOK(t, "DeleteWebACL", del, nil)
	e.wafOK(t, "DeleteIPSet", map[string]any{"Name": "bad-actors", "Scope": "REGIONAL", "Id": ips.Summary.Id,
		"LockToken": ips.Summary.LockToken}, nil)
}

func TestWAFInvalidWebACL(t *testing.T) {
	e := newEnv(t)
	acl := blockHeaderACL("bad-acl", "arn:aws:wafv2:eu-west-1:000000000000:regional/ipset/x/"+newWAFID())
	rules := acl["Rules"].([]any)
	acl["Rules"] = rules[:1]
	rules[0].(map[string]any)["Statement"] = map[string]any{"GeoMatchStatement": map[string]any{"CountryCodes": []string{"FR"}}}
	body := e.wafErr(t, "CreateWebACL", acl, "WAFInvalidParameterException")
	if body["Reason"] == "" || body["Field"] == "" {
		t.Errorf("unsupported statement error = %v, want Field and Reason", body)
	}
	var list struct{ WebACLs []wafSummary }
	e.wafOK(t, "ListWebACLs", map[string]any{"Scope": "REGIONAL"}, &list)
	if len(list.WebACLs) != 0 {
		t.Fatalf("ListWebACLs after refused creates = %v, want none", list.WebACLs)
	}
}

func TestWAFProtocol(t *testing.T) {
	e := newEnv(t)
	// A wafv2 call signed for apigateway is refused in the JSON 1.1 shape.
	r := e.wafCallAs(t, "apigateway", "ListIPSets", map[string]any{"Scope": "REGIONAL"})
	var body map[string]string
	r.json(t, &body)
	if r.status != http.StatusForbidden || body["__type"] == "" || !strings.Contains(body["Message"], "wafv2") {
		t.Fatalf("wrong-service call = %d %s, want 403 naming wafv2", r.status, r.body)
	}
	e.wafErr(t, "NoSuchOperation", map[string]any{}, "UnknownOperationException")
	e.wafErr(t, "ListWebACLs", map[string]any{"Scope": "REGIONAL", "Limit": 1000}, "WAFInvalidParameterException")
}
