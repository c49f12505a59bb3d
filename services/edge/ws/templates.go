package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/vtl"
	"github.com/portico/portico/pkg/wire"
)

// Template selection and integration responses of non-proxy WebSocket integrations (MOCK and
// NATS), as AWS defines them:
//   - the request template is RequestTemplates[key], key chosen by the integration's
//     templateSelectionExpression ("${request.body.type}", "$request.body.type", or a literal
//     such as "\$default"); no such template: "$default"; none at all: the message passes
//     through (unless passthroughBehavior is NEVER);
//   - a MOCK answers with the status its request template renders ({"statusCode": 403});
//   - the integration response is IntegrationResponses[key] whose key ("/4\d\d/" style regular
//     expression, or "$default") matches the status; its ResponseTemplates["$default"] (or its
//     only template) renders what is sent back on the socket, with $input the integration's
//     output (a MOCK's: the message).

// Bounds of compiled templates kept by a hub.
const maxCachedTemplates = 4096

var errNoTemplate = errors.New("no request template matches and passthroughBehavior is NEVER")

// templateCache holds compiled templates by source.
type templateCache struct {
	mu sync.Mutex
	m  map[string]*vtl.Template
}

func (tc *templateCache) get(src string) (*vtl.Template, error) {
	tc.mu.Lock()
	t, ok := tc.m[src]
	tc.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := vtl.Compile(src)
	if err != nil {
		return nil, err
	}
	tc.mu.Lock()
	if tc.m == nil || len(tc.m) >= maxCachedTemplates {
		tc.m = make(map[string]*vtl.Template)
	}
	tc.m[src] = t
	tc.mu.Unlock()
	return t, nil
}

// templateKey evaluates a templateSelectionExpression against a message.
func templateKey(expr string, body []byte) string {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return RouteDefault
	}
	if strings.HasPrefix(expr, "$request.") || strings.Contains(expr, "${request.") {
		sel, err := ParseSelector(expr)
		if err != nil {
			return RouteDefault
		}
		if key, ok := sel.Select(body); ok {
			return key
		}
		return RouteDefault
	}
	return strings.TrimPrefix(expr, `\`) // "\$default" is the literal "$default"
}

// templateVars are the variables a WebSocket template sees.
// A CONNECT's handshake headers and query are $input.params().
func (h *Hub) templateVars(c *conn, r *model.Route, event, requestID string, body []byte, extra map[string][]string) *vtl.Vars {
	identity := map[string]any{"sourceIp": c.t.SourceIP, "userAgent": c.userAgent}
	ctx := map[string]any{
		"connectionId": c.id, "routeKey": r.RouteKey, "eventType": event, "requestId": requestID,
		"messageId": requestID, "apiId": c.t.APIID, "stage": c.t.Stage, "domainName": c.domain,
		"connectedAt": c.connectedAt.UnixMilli(), "identity": identity, "messageDirection": "IN",
	}
	if c.principal != "" || c.authorizer != "" {
		auth := map[string]any{}
		if c.authorizer != "" {
			_ = json.Unmarshal([]byte(c.authorizer), &auth)
		}
		auth["principalId"] = c.principal
		ctx["authorizer"] = auth
	}
	vars := &vtl.Vars{Body: body, Context: ctx, StageVariables: c.t.StageVariables}
	if len(extra) > 0 {
		vars.Header = map[string]string{}
		for k, v := range extra {
			if !wire.IsReserved(k) && len(v) > 0 {
				vars.Header[k] = v[len(v)-1]
			}
		}
		if q := extra[wire.HeaderQuery]; len(q) > 0 {
			if vals, err := url.ParseQuery(q[0]); err == nil {
				vars.Query = map[string]string{}
				for k, v := range vals {
					vars.Query[k] = v[len(v)-1]
				}
			}
		}
	}
	return vars
}

// renderRequest renders the request template of integration in for a message.
func (h *Hub) renderRequest(ctx context.Context, in *model.Integration, vars *vtl.Vars) ([]byte, error) {
	src, ok := in.RequestTemplates[templateKey(in.TemplateSelectionExpression, vars.Body)]
	if !ok {
		src, ok = in.RequestTemplates[RouteDefault]
	}
	if !ok {
		if strings.EqualFold(in.PassthroughBehavior, "NEVER") {
			return nil, errNoTemplate
		}
		return vars.Body, nil
	}
	t, err := h.templates.get(src)
	if err != nil {
		return nil, fmt.Errorf("request template: %w", err)
	}
	out, _, err := t.Render(ctx, vars)
	if err != nil {
		return nil, fmt.Errorf("request template: %w", err)
	}
	return []byte(out), nil
}

// mockStatus is the status a MOCK's rendered request template asks for (200 when it names none).
func mockStatus(rendered []byte) int {
	var v struct {
		StatusCode json.Number `json:"statusCode"`
	}
	if json.Unmarshal(rendered, &v) != nil {
		return 200
	}
	code, err := strconv.Atoi(v.StatusCode.String())
	if err != nil || code < 100 || code > 599 {
		return 200
	}
	return code
}

// integrationResponse picks the integration response for status: the first key (in sorted
// order) that is a /regex/ matching the status code, else "$default"; nil when none.
func integrationResponse(in *model.Integration, status int) *model.IntegrationResponse {
	code := strconv.Itoa(status)
	keys := make([]string, 0, len(in.IntegrationResponses))
	for k := range in.IntegrationResponses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pattern := k
		if ir := in.IntegrationResponses[k]; ir.SelectionPattern != "" {
			pattern = ir.SelectionPattern
		}
		if len(pattern) < 2 || pattern[0] != '/' || pattern[len(pattern)-1] != '/' {
			continue
		}
		re, err := regexp.Compile("^(?:" + pattern[1:len(pattern)-1] + ")$")
		if err == nil && re.MatchString(code) {
			ir := in.IntegrationResponses[k]
			return &ir
		}
	}
	if ir, ok := in.IntegrationResponses[RouteDefault]; ok {
		return &ir
	}
	return nil
}

// renderResponse renders what integration in sends back for status and output; ok is false
// when there is no integration response or template (nothing is sent back).
func (h *Hub) renderResponse(ctx context.Context, in *model.Integration, status int, vars *vtl.Vars) ([]byte, bool, error) {
	ir := integrationResponse(in, status)
	if ir == nil || len(ir.ResponseTemplates) == 0 {
		return nil, false, nil
	}
	src, ok := ir.ResponseTemplates[RouteDefault]
	if !ok {
		if len(ir.ResponseTemplates) != 1 {
			return nil, false, nil
		}
		for _, s := range ir.ResponseTemplates {
			src = s
		}
	}
	t, err := h.templates.get(src)
	if err != nil {
		return nil, false, fmt.Errorf("response template: %w", err)
	}
	out, _, err := t.Render(ctx, vars)
	if err != nil {
		return nil, false, fmt.Errorf("response template: %w", err)
	}
	return []byte(out), true, nil
}

// callTemplated runs a MOCK or NATS (non-proxy) integration: request template, the call (none
// for MOCK), integration response template.
func (h *Hub) callTemplated(ctx context.Context, c *conn, r *model.Route, event, requestID string, body []byte, extra map[string][]string) (*result, error) {
	in := r.Integration
	vars := h.templateVars(c, r, event, requestID, body, extra)
	payload, err := h.renderRequest(ctx, in, vars)
	if err != nil {
		return nil, err
	}
	status, output := 200, body
	if in.Type == model.IntegrationMock {
		status = mockStatus(payload)
	} else {
		msg, err := h.integrationMsg(ctx, c, r, event, requestID, payload, extra)
		if err != nil {
			return nil, err
		}
		reply, err := h.deps.NATS.RequestMsgWithContext(ctx, msg)
		if err != nil {
			return nil, err
		}
		res, err := interpret(model.IntegrationNATSProxy, reply)
		if err != nil {
			return nil, err
		}
		if res.failed {
			return res, nil
		}
		status, output = res.status, res.body
	}
	res := &result{status: status}
	rv := *vars
	rv.Body = output
	out, ok, err := h.renderResponse(ctx, in, status, &rv)
	if err != nil {
		return nil, err
	}
	if ok {
		res.body = out
	}
	return res, nil
}
