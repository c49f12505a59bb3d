package edge

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/route"
)

func testRequest(uri string, hdr ...string) *request {
	c := &fasthttp.RequestCtx{}
	c.Request.SetRequestURI(uri)
	for i := 0; i+1 < len(hdr); i += 2 {
		c.Request.Header.Set(hdr[i], hdr[i+1])
	}
	st := &stageState{apiID: "a", name: "s", api: &model.RestAPI{ID: "a"},
		stage: model.Stage{Variables: map[string]string{"v": "sv"}}}
	return &request{ctx: c, id: "rid", st: st, t: &target{routeKey: "GET /x/{id}", resourcePath: "/x/{id}"},
		path: "/x/7", params: []route.Param{{Name: "id", Value: "7"}}}
}

func TestMappingEval(t *testing.T) {
	r := testRequest("/x/7?q=1&m=1&m=2", "X-H", "hv")
	r.ctx.Request.SetBodyString(`{"a":{"b":"x"}}`)
	src := &mappingSource{r: r}
	tests := []struct{ in, want string }{
		{"static", "static"},
		{"$request.body.a.b", "x"},
		{"$request.body.a", `{"b":"x"}`},
		{"$request.querystring.m", "1,2"},
		{"$request.header.X-H", "hv"},
		{"$request.querystring.q", "1"},
		{"/a/$request.path.id/b", "/a/7/b"},
		{"${request.path.id}x", "7x"},
		{"$stageVariables.v/${context.requestId}", "sv/rid"},
		{"cost $5", "cost $5"},
		{"${other}", "${other}"},
		{"$", "$"},
		{"${unclosed", "${unclosed"},
	}
	for _, tc := range tests {
		if got := src.eval(tc.in); got != tc.want {
			t.Errorf("eval(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseParamOp(t *testing.T) {
	tests := []struct {
		key      string
		response bool
		ok       bool
	}{
		{"append:header.x", false, true},
		{"overwrite:querystring.q", false, true},
		{"remove:header.x", true, true},
		{"overwrite:path", false, true},
		{"overwrite:statuscode", true, true},
		{"overwrite:statuscode", false, false},
		{"overwrite:querystring.q", true, false},
		{"replace:header.x", false, false},
		{"append:header.", false, false},
		{"header.x", false, false},
	}
	for _, tc := range tests {
		_, err := parseParamOp(tc.key, "v", tc.response)
		if (err == nil) != tc.ok {
			t.Errorf("parseParamOp(%q, response=%v) error = %v, want ok %v", tc.key, tc.response, err, tc.ok)
		}
	}
}

func FuzzMappingEval(f *testing.F) {
	for _, s := range []string{"$request.header.X-H", "a${request.path.id}b", "${", "$$", "${context.identity.sourceIp}"} {
		f.Add(s)
	}
	src := &mappingSource{r: testRequest("/x/7?q=1", "X-H", "hv")}
	f.Fuzz(func(t *testing.T, v string) {
		out := src.eval(v)
		if !strings.Contains(v, "$") && out != v {
			t.Fatalf("eval(%q) = %q, want it unchanged", v, out)
		}
	})
}

func FuzzParseParamOp(f *testing.F) {
	f.Add("append:header.x", true)
	f.Add("overwrite:path", false)
	f.Fuzz(func(t *testing.T, key string, response bool) {
		op, err := parseParamOp(key, "v", response)
		if err == nil && op.target == "" {
			t.Fatalf("parseParamOp(%q) accepted without a target", key)
		}
	})
}

func FuzzLambdaFunction(f *testing.F) {
	f.Add("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f:live/invocations")
	f.Fuzz(func(t *testing.T, uri string) {
		fn := lambdaFunction(uri)
		if strings.ContainsAny(fn, "/:") {
			t.Fatalf("lambdaFunction(%q) = %q contains a separator", uri, fn)
		}
	})
}
