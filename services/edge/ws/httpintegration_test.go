package ws

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/fasthttp/websocket"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
)

type httpSeen struct {
	method, path, query, connID, agent string
	body                               string
}

func TestHTTPIntegrationRoutes(t *testing.T) {
	var mu sync.Mutex
	var seen []httpSeen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, httpSeen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Connection-Id"), r.Header.Get("User-Agent"), string(b)})
		mu.Unlock()
		switch r.URL.Path {
		case "/connect":
			if r.URL.Query().Get("token") != "ok" {
				w.WriteHeader(http.StatusForbidden)
			}
		case "/msg":
			fmt.Fprintf(w, "http:%s", b)
		case "/fail":
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	t.Cleanup(srv.Close)
	route := func(key, typ, method, path string) model.Route {
		return model.Route{RouteKey: key, RouteResponses: []model.RouteResponse{{ID: "rr", RouteResponseKey: "$default"}}, Integration: &model.Integration{Type: typ, HTTPMethod: method, URI: "${stageVariables.base}" + path,
			RequestParameters: map[string]string{"integration.request.header.X-Connection-Id": "context.connectionId"}}}
	}
	api := wsAPI("$request.body.action",
		route(RouteConnect, model.IntegrationHTTPProxy, "GET", "/connect"),
		route(RouteDisconnect, model.IntegrationHTTP, "POST", "/disconnect"),
		route(RouteDefault, model.IntegrationHTTPProxy, "POST", "/msg"),
		route("fail", model.IntegrationHTTPProxy, "POST", "/fail"))
	s := natstest.Start(t)
	e := startEdge(t, s, "edge-http", testConfig(), api)
	e.vars.Store(&map[string]string{"base": srv.URL})

	if _, resp, err := websocket.DefaultDialer.Dial(e.url()+"?token=no", nil); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("dial refused by the HTTP integration = %v %v, want 403", err, resp)
	}
	c, _, err := websocket.DefaultDialer.Dial(e.url()+"?token=ok", http.Header{"User-Agent": {"ws-test"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{"action":"other"}`)); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, c); got != `http:{"action":"other"}` {
		t.Fatalf("reply = %q", got)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{"action":"fail"}`)); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, c); !containsAll(got, `"message":"Internal server error"`, `"connectionId"`) {
		t.Fatalf("5xx from the integration = %q, want the error frame", got)
	}
	_ = c.Close()
	natstest.Eventually(t, waitFor, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 || seen[len(seen)-1].path != "/disconnect" {
			return fmt.Errorf("no $disconnect call yet: %+v", seen)
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	id := seen[1].connID
	if id == "" {
		t.Fatalf("no X-Connection-Id mapped: %+v", seen)
	}
	want := []httpSeen{
		{"GET", "/connect", "token=no", seen[0].connID, "Go-http-client/1.1", ""},
		{"GET", "/connect", "token=ok", id, "ws-test", ""},
		{"POST", "/msg", "", id, "portico", `{"action":"other"}`},
		{"POST", "/fail", "", id, "portico", `{"action":"fail"}`},
		{"POST", "/disconnect", "", id, "portico", ""},
	}
	if len(seen) != len(want) {
		t.Fatalf("calls = %+v, want %+v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("call %d = %+v, want %+v", i, seen[i], want[i])
		}
	}
}
