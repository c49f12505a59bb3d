package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

func TestParseLogFormat(t *testing.T) {
	tests := []struct {
		name, format string
		want         []logPart
	}{
		{"variables and text", `$context.requestId "$context.httpMethod $context.path"`, []logPart{
			{text: "requestId", variable: true}, {text: ` "`}, {text: "httpMethod", variable: true}, {text: " "},
			{text: "path", variable: true}, {text: `"`}}},
		{"json", `{"ip":"$context.identity.sourceIp"}`, []logPart{{text: `{"ip":"`}, {text: "identity.sourceIp", variable: true}, {text: `"}`}}},
		{"trailing dot is text", `$context.status.`, []logPart{{text: "status", variable: true}, {text: "."}}},
		{"no name", `cost $context. only`, []logPart{{text: "cost $context."}, {text: " only"}}},
		{"no variables", `plain`, []logPart{{text: "plain"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseLogFormat(tt.format)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("parseLogFormat(%q) = %v, want %v", tt.format, got, tt.want)
			}
		})
	}
}

func FuzzParseLogFormat(f *testing.F) {
	f.Add(`$context.requestId $context.identity.sourceIp [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength`)
	f.Add(`$context.$context..$context.a.`)
	f.Fuzz(func(t *testing.T, format string) {
		var b strings.Builder
		for _, p := range parseLogFormat(format) {
			if p.variable {
				if p.text == "" || strings.HasSuffix(p.text, ".") {
					t.Fatalf("variable %q from %q", p.text, format)
				}
				b.WriteString(contextRef)
			}
			b.WriteString(p.text)
		}
		if b.String() != format {
			t.Fatalf("parts of %q put together = %q", format, b.String())
		}
	})
}

// TestAccessLog: a stage with accessLogSettings has one line per request, served or refused,
// published with its destination; "-" stands for what a request does not have.
func TestAccessLog(t *testing.T) {
	h := newHarness(t)
	lines := make(chan *nats.Msg, 16)
	sub, err := h.nc.ChanSubscribe(wire.AccessLogPrefix+">", lines)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := h.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	ok := map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
		MethodIntegration: &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"ok":true}`}}}}}}
	api := restAPI("logapi0001", resource("/pets/{id}", ok))
	h.deploy(api, "prod", nil)
	const dest = "arn:aws:logs:us-east-1:000000000000:log-group:portico-access"
	e, err := h.kv.Get(context.Background(), wire.KeyStage("logapi0001", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	var st model.Stage
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		t.Fatal(err)
	}
	st.AccessLogSettings = &model.AccessLogSettings{DestinationARN: dest,
		Format: `$context.requestId $context.identity.sourceIp "$context.httpMethod $context.resourcePath $context.path" $context.status $context.responseLength $context.error.responseType $context.authorizer.principalId`}
	h.put(wire.KeyStage("logapi0001", "prod"), st)
	natstest.Eventually(t, 10*time.Second, func() error {
		if s := (*h.svc.tables.Load())["logapi0001/prod"]; s == nil || s.accessLog == nil {
			return fmt.Errorf("stage not served with access logs yet")
		}
		return nil
	})

	next := func(what string) (string, *nats.Msg) {
		t.Helper()
		select {
		case m := <-lines:
			return string(m.Data), m
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no access log line", what)
		}
		return "", nil
	}
	served := h.do("GET", restPath("logapi0001", "prod", "/pets/7"), "")
	line, m := next("served")
	want := regexp.MustCompile(`^` + regexp.QuoteMeta(served.header.Get("x-amzn-RequestId")) +
		` 127\.0\.0\.1 "GET /pets/\{id\} /prod/pets/7" 200 11 - -$`)
	if !want.MatchString(line) {
		t.Errorf("served request's line = %q, want %s", line, want)
	}
	if m.Subject != wire.AccessLogSubject("logapi0001", "prod") || m.Header.Get(wire.HeaderLogDestination) != dest {
		t.Errorf("line published on %q with destination %q, want %q and %q", m.Subject, m.Header.Get(wire.HeaderLogDestination),
			wire.AccessLogSubject("logapi0001", "prod"), dest)
	}

	refused := h.do("GET", restPath("logapi0001", "prod", "/nothing"), "")
	line, _ = next("refused")
	want = regexp.MustCompile(`^` + regexp.QuoteMeta(refused.header.Get("x-amzn-RequestId")) +
		` 127\.0\.0\.1 "GET - /prod/nothing" 403 42 MISSING_AUTHENTICATION_TOKEN -$`)
	if !want.MatchString(line) {
		t.Errorf("refused request's line = %q, want %s", line, want)
	}
}
