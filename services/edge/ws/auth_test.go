package ws

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/wire"
	"github.com/valyala/fasthttp"
)

func httpCall(t *testing.T, method, url string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestManageRefusedWithoutAuth(t *testing.T) {
	s := natstest.Start(t)
	open := startEdge(t, s, "edge-open", testConfig(), wsAPI(""), func(d *Deps) { d.ManageAuth = nil })
	admin := SigV4Auth{Admin: []sigv4.Credentials{{AccessKeyID: "AKIDADMIN", SecretAccessKey: "secret"}}}
	signed := startEdge(t, s, "edge-signed", testConfig(), wsAPI(""), func(d *Deps) { d.ManageAuth = admin.Func() })
	denied := startEdge(t, s, "edge-denied", testConfig(), wsAPI(""), func(d *Deps) {
		d.ManageAuth = func(context.Context, ManageAuthRequest) (wire.AuthzDecision, error) {
			return wire.AuthzDecision{Code: wire.CodeForbidden, Message: "User: x is not authorized", GatewayResponse: "ACCESS_DENIED", CapitalMessage: true}, nil
		}
	})
	now := time.Now().UTC()
	amzDate := now.Format("20060102T150405Z")
	forged := "AWS4-HMAC-SHA256 Credential=AKIDADMIN/" + now.Format("20060102") + "/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64)
	unknown := strings.Replace(forged, "AKIDADMIN", "AKIDOTHER", 1)
	for _, tt := range []struct {
		name     string
		e        *edge
		method   string
		hdr      map[string]string
		wantType string
		wantBody string
	}{
		{"no ManageAuth", open, "POST", nil, sigv4.TypeMissingAuthenticationToken, `{"message":"Missing Authentication Token"}`},
		{"unsigned POST", signed, "POST", nil, sigv4.TypeMissingAuthenticationToken, `{"message":"Missing Authentication Token"}`},
		{"unsigned GET", signed, "GET", nil, sigv4.TypeMissingAuthenticationToken, `{"message":"Missing Authentication Token"}`},
		{"unsigned DELETE", signed, "DELETE", nil, sigv4.TypeMissingAuthenticationToken, `{"message":"Missing Authentication Token"}`},
		{"unknown key", signed, "POST", map[string]string{"Authorization": unknown, "X-Amz-Date": amzDate}, sigv4.TypeUnrecognizedClient, ""},
		{"forged signature", signed, "POST", map[string]string{"Authorization": forged, "X-Amz-Date": amzDate}, sigv4.TypeInvalidSignature, ""},
		{"policy denial", denied, "POST", nil, "AccessDeniedException", `{"Message":"User: x is not authorized"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := httpCall(t, tt.method, "http://"+tt.e.addr+"/"+testStage+"/@connections/AAAAAAAAAAAAAAA=", tt.hdr)
			if status != http.StatusForbidden {
				t.Fatalf("%s = %d %s, want 403", tt.method, status, body)
			}
			if hdr.Get("x-amzn-ErrorType") == "" {
				t.Errorf("no x-amzn-ErrorType")
			}
			if tt.wantType != "" && hdr.Get("x-amzn-ErrorType") != tt.wantType {
				t.Errorf("x-amzn-ErrorType = %q, want %q", hdr.Get("x-amzn-ErrorType"), tt.wantType)
			}
			if tt.wantBody != "" && body != tt.wantBody {
				t.Errorf("body = %s, want %s", body, tt.wantBody)
			}
		})
	}
}

// iamRecorder is an IAMVerifier that records what it was asked and allows.
type iamRecorder struct{ action, arn, ip string }

func (r *iamRecorder) VerifySigV4Action(_ context.Context, _ *sigv4.Request, action, arn, ip string) (wire.AuthzDecision, error) {
	r.action, r.arn, r.ip = action, arn, ip
	return wire.AuthzDecision{Allow: true, PrincipalID: "arn:aws:iam::123456789012:user/bob"}, nil
}

func TestSigV4AuthAsksIAMForOtherKeys(t *testing.T) {
	iam := &iamRecorder{}
	f := SigV4Auth{Admin: []sigv4.Credentials{{AccessKeyID: "AKIDADMIN", SecretAccessKey: "s"}}, IAM: iam, AccountID: "123456789012"}.Func()
	hdr := http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=AKIDBOB/20260101/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=00"}}
	d, err := f(context.Background(), ManageAuthRequest{
		Sig:   &sigv4.Request{Method: "POST", RawPath: "/prod/@connections/abc%3D", Header: hdr, HeaderValues: func(n string) []string { return hdr.Values(n) }},
		APIID: "api1", Stage: "prod", Method: "POST", ConnectionID: "abc=", SourceIP: "10.0.0.1",
	})
	if err != nil || !d.Allow {
		t.Fatalf("decision = %+v, %v; want allowed", d, err)
	}
	want := "arn:aws:execute-api:eu-west-1:123456789012:api1/prod/POST/@connections/abc="
	if iam.action != "execute-api:ManageConnections" || iam.arn != want || iam.ip != "10.0.0.1" {
		t.Errorf("IAM asked (%q, %q, %q), want (execute-api:ManageConnections, %q, 10.0.0.1)", iam.action, iam.arn, iam.ip, want)
	}
}

func TestConnectAuth(t *testing.T) {
	s := natstest.Start(t)
	nc := natstest.Connect(t, s)
	connect := backend(t, nc, "ws.auth.connect", func(*nats.Msg) *nats.Msg { return &nats.Msg{} })
	msgs := backend(t, nc, "ws.auth.default", echo("ok:"))
	api := wsAPI("", natsRoute(RouteConnect, "ws.auth.connect"), natsRoute(RouteDefault, "ws.auth.default"))
	e := startEdge(t, s, "edge-auth", testConfig(), api, func(d *Deps) {
		d.ConnectAuth = func(ctx *fasthttp.RequestCtx, tg Target) (int, string, map[string]string) {
			switch string(ctx.QueryArgs().Peek("token")) {
			case "good":
				return 200, "user-42", map[string]string{"tenant": "t1"}
			case "bad":
				return 403, "", nil
			}
			return 401, "", nil
		}
	})
	for _, tt := range []struct {
		name, token string
		want        int
	}{{"no token", "", 401}, {"bad token", "bad", 403}} {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, err := websocket.DefaultDialer.Dial(e.url()+"?token="+tt.token, nil)
			if err == nil || resp == nil || resp.StatusCode != tt.want {
				status := 0
				if resp != nil {
					status = resp.StatusCode
				}
				t.Fatalf("dial = %v (status %d), want %d", err, status, tt.want)
			}
		})
	}
	if n := len(connect.all()); n != 0 {
		t.Fatalf("$connect ran %d times for refused handshakes, want 0", n)
	}
	c, _, err := websocket.DefaultDialer.Dial(e.url()+"?token=good", nil)
	if err != nil {
		t.Fatalf("dial with good token: %v", err)
	}
	defer c.Close()
	if err := c.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, c); got != "ok:hi" {
		t.Fatalf("reply = %q, want ok:hi", got)
	}
	for _, m := range []*nats.Msg{connect.waitN(t, 1)[0], msgs.waitN(t, 1)[0]} {
		if p := m.Header.Get(wire.HeaderPrincipalID); p != "user-42" {
			t.Errorf("%s principal = %q, want user-42", m.Header.Get(wire.HeaderEventType), p)
		}
		var actx map[string]string
		if err := json.Unmarshal([]byte(m.Header.Get(wire.HeaderAuthorizer)), &actx); err != nil || actx["tenant"] != "t1" {
			t.Errorf("%s authorizer context = %q, want tenant t1", m.Header.Get(wire.HeaderEventType), m.Header.Get(wire.HeaderAuthorizer))
		}
	}
}
