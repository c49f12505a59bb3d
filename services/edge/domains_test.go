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

// TestCustomDomain: a custom domain name serves API stages by base path mapping — the longest
// matching base path wins, it is stripped before routing, "" maps the root — and a removed
// domain is no longer served.
func TestCustomDomain(t *testing.T) {
	h := newHarness(t)
	mock := func(body string) map[string]model.Method {
		return map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
			MethodIntegration: &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
				IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": body}}}}}}
	}
	h.deploy(restAPI("domapi0001", resource("/pets", mock(`"v1 pets"`)), resource("/", mock(`"v1 root"`))), "prod", nil)
	h.deploy(restAPI("domapi0002", resource("/pets", mock(`"v2 pets"`))), "beta", nil)
	d := model.DomainName{DomainName: "API.Example.com", Mappings: []model.BasePathMapping{
		{BasePath: "", APIID: "domapi0001", Stage: "prod"},
		{BasePath: "v2", APIID: "domapi0002", Stage: "beta"},
	}}
	b, _ := json.Marshal(d)
	if _, err := h.kv.Put(context.Background(), wire.KeyDomainName(d.DomainName), b); err != nil {
		t.Fatal(err)
	}
	host := "api.example.com:443"
	natstest.Eventually(t, 10*time.Second, func() error {
		if r := h.do("GET", "/pets", "", "Host", host); r.body != `"v1 pets"` {
			return fmt.Errorf("GET /pets on the domain = %d %s", r.status, r.body)
		}
		return nil
	})
	expectResp(t, "root mapping, root path", h.do("GET", "/", "", "Host", host), 200, `"v1 root"`)
	expectResp(t, "v2 base path", h.do("GET", "/v2/pets", "", "Host", host), 200, `"v2 pets"`)
	expectResp(t, "v2 base path, no route", h.do("GET", "/v2/nothing", "", "Host", host), 403, `{"message":"Missing Authentication Token"}`)
	expectResp(t, "a base path prefix is not a segment", h.do("GET", "/v2pets", "", "Host", host), 403, `{"message":"Missing Authentication Token"}`)
	if err := h.kv.Delete(context.Background(), wire.KeyDomainName(d.DomainName)); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		if r := h.do("GET", "/pets", "", "Host", host); r.status != 403 {
			return fmt.Errorf("GET /pets after the domain is deleted = %d %s", r.status, r.body)
		}
		return nil
	})
}

// TestDisableExecuteAPIEndpoint: an API with disableExecuteApiEndpoint answers on its custom
// domain only; its default endpoints (path style, execute-api host) answer 403 Forbidden.
func TestDisableExecuteAPIEndpoint(t *testing.T) {
	h := newHarness(t)
	api := restAPI("offapi0001", resource("/pets", map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
		MethodIntegration: &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `"pets"`}}}}}}))
	api.DisableExecuteAPIEndpoint = true
	h.deploy(api, "prod", nil)
	b, _ := json.Marshal(model.DomainName{DomainName: "pets.example.com", Mappings: []model.BasePathMapping{{APIID: "offapi0001", Stage: "prod"}}})
	if _, err := h.kv.Put(context.Background(), wire.KeyDomainName("pets.example.com"), b); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		if r := h.do("GET", "/pets", "", "Host", "pets.example.com"); r.body != `"pets"` {
			return fmt.Errorf("GET /pets on the domain = %d %s", r.status, r.body)
		}
		return nil
	})
	path := h.do("GET", restPath("offapi0001", "prod", "/pets"), "")
	expectResp(t, "path style", path, 403, `{"message":"Forbidden"}`)
	if path.header.Get("x-amzn-ErrorType") != "ForbiddenException" {
		t.Errorf("x-amzn-ErrorType = %q, want ForbiddenException", path.header.Get("x-amzn-ErrorType"))
	}
	expectResp(t, "execute-api host", h.do("GET", "/prod/pets", "", "Host", "offapi0001.execute-api.localhost"), 403, `{"message":"Forbidden"}`)
}
