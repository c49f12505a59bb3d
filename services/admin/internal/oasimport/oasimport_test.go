package oasimport

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func seqIDs() func() string {
	n := 0
	return func() string {
		n++
		return "id" + strconv.Itoa(n)
	}
}

func TestConvertTree(t *testing.T) {
	doc := `openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /a/b/{c+}:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: NATS_PROXY, uri: subj}
`
	api, err := Convert([]byte(doc), seqIDs())
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{}
	for _, r := range api.Resources {
		paths = append(paths, r.Path)
	}
	if got := strings.Join(paths, ","); got != "/,/a,/a/b,/a/b/{c+}" {
		t.Errorf("paths = %s", got)
	}
	leaf := api.Resources[3]
	if leaf.ParentID != api.Resources[2].ID || leaf.PathPart != "{c+}" {
		t.Errorf("leaf = %+v", leaf)
	}
	if in := leaf.ResourceMethods["GET"].MethodIntegration; in == nil || in.Type != "NATS_PROXY" || in.TimeoutInMillis != 29000 {
		t.Errorf("integration = %+v", in)
	}
}

func TestConvertRejects(t *testing.T) {
	cases := []struct{ name, doc string }{
		{"empty", ""},
		{"greedy not last", "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /{a+}/b:\n    get:\n      responses: {'200': {description: ok}}\n"},
		{"missing uri", "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n      x-amazon-apigateway-integration: {type: http_proxy}\n"},
		{"bad key source", "openapi: 3.0.1\ninfo: {title: t, version: '1'}\nx-amazon-apigateway-api-key-source: COOKIE\npaths: {}\n"},
		{"undefined validator", "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      x-amazon-apigateway-request-validator: nope\n      responses: {'200': {description: ok}}\n"},
		{"swagger 3", `{"swagger":"3.0","info":{"title":"t"},"paths":{}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Convert([]byte(tc.doc), seqIDs())
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Convert = %v, want ErrInvalid", err)
			}
		})
	}
}

func FuzzConvert(f *testing.F) {
	for _, name := range []string{"petstore-oas3.yaml", "orders-swagger2.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"swagger":"2.0","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{"responses":{"200":{"description":"o"}},"x-amazon-apigateway-integration":{"type":"mock","responses":{"default":{"statusCode":200}}}}}}}`))
	f.Add([]byte("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {/: {get: {responses: {'200': {description: x}}}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		api, err := Convert(data, seqIDs())
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if len(api.Resources) == 0 || api.Resources[0].Path != "/" {
			t.Fatalf("no root resource: %+v", api.Resources)
		}
		if len(api.Resources) > MaxResources {
			t.Fatalf("%d resources, bound is %d", len(api.Resources), MaxResources)
		}
		ids := map[string]bool{}
		for _, r := range api.Resources {
			ids[r.ID] = true
		}
		for _, r := range api.Resources[1:] {
			if !ids[r.ParentID] {
				t.Fatalf("resource %q has unknown parent %q", r.Path, r.ParentID)
			}
		}
	})
}

func TestConvertAuthorizers(t *testing.T) {
	doc := `openapi: 3.0.1
info: {title: t, version: "1"}
paths:
  /secure:
    get:
      security: [{tok: []}]
      responses: {"200": {description: ok}}
  /iam:
    get:
      security: [{sigv4: []}]
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    tok:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123:function:auth/invocations
        authorizerResultTtlInSeconds: 300
    sigv4:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: awsSigv4
`
	api, err := Convert([]byte(doc), seqIDs())
	if err != nil {
		t.Fatal(err)
	}
	if len(api.Authorizers) != 1 {
		t.Fatalf("authorizers = %+v", api.Authorizers)
	}
	az := api.Authorizers[0]
	if az.Type != "TOKEN" || az.IdentitySource != "method.request.header.Authorization" || az.AuthorizerResultTTLInSeconds == nil || *az.AuthorizerResultTTLInSeconds != 300 {
		t.Errorf("authorizer = %+v", az)
	}
	for _, r := range api.Resources {
		m, ok := r.ResourceMethods["GET"]
		if !ok {
			continue
		}
		switch r.Path {
		case "/secure":
			if m.AuthorizationType != "CUSTOM" || m.AuthorizerID != az.ID {
				t.Errorf("GET /secure = %+v", m)
			}
		case "/iam":
			if m.AuthorizationType != "AWS_IAM" {
				t.Errorf("GET /iam = %+v", m)
			}
		}
	}
}

func TestConvertCompressionAndEndpoint(t *testing.T) {
	doc := `openapi: 3.0.1
info: {title: t, version: "1"}
x-amazon-apigateway-minimum-compression-size: 512
x-amazon-apigateway-endpoint-configuration: {vpcEndpointIds: [vpce-0123]}
paths: {}
`
	api, err := Convert([]byte(doc), seqIDs())
	if err != nil {
		t.Fatal(err)
	}
	if api.MinimumCompressionSize == nil || *api.MinimumCompressionSize != 512 {
		t.Errorf("MinimumCompressionSize = %v, want 512", api.MinimumCompressionSize)
	}
	if e := api.EndpointConfiguration; e == nil || e.Types[0] != "PRIVATE" || e.VPCEndpointIDs[0] != "vpce-0123" {
		t.Errorf("EndpointConfiguration = %+v, want PRIVATE with vpce-0123", e)
	}
	bad := strings.Replace(doc, "512", "-1", 1)
	if _, err := Convert([]byte(bad), seqIDs()); !errors.Is(err, ErrInvalid) {
		t.Errorf("Convert with a negative compression size = %v, want ErrInvalid", err)
	}
}
