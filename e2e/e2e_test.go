package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/connections"
	"github.com/portico/portico/services/edge/ws"
)

func httpDo(t *testing.T, method, url string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	return httpDoAs(t, adminCreds, method, url, body)
}

// httpDoAs sends a request SigV4-signed with creds (as the AWS CLI signs @connections calls);
// zero creds send it unsigned.
func httpDoAs(t *testing.T, creds aws.Credentials, method, url string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "" {
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func TestConnectionsAcrossEdges(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	startConnections(t, s)
	conn := backend(t, be, "chat.connect")
	api := wsAPI(natsRoute(ws.RouteConnect, "chat.connect"), natsRoute(ws.RouteDisconnect, "chat.disconnect"))
	a := startEdge(t, s, "edge-a", api)
	b := startEdge(t, s, "edge-b", api)

	client := dial(t, b.url())
	id := conn.nthConnectionID(t, 0)
	manageURL := "http://" + a.addr + "/" + testStage + "/@connections/" + id

	// GET through edge A, once the registry has the socket.
	var info wire.ConnectionInfo
	natstest.Eventually(t, waitFor, func() error {
		status, _, body := httpDo(t, http.MethodGet, manageURL, nil)
		if status != http.StatusOK {
			return fmt.Errorf("GET = %d %s", status, body)
		}
		return json.Unmarshal(body, &info)
	})
	if info.Identity.SourceIP != "127.0.0.1" || info.Identity.UserAgent == "" {
		t.Errorf("identity = %+v", info.Identity)
	}
	if _, err := time.Parse(connections.TimeFormat, info.ConnectedAt); err != nil || len(info.ConnectedAt) != len("2024-01-01T00:00:00.000Z") {
		t.Errorf("connectedAt = %q: %v", info.ConnectedAt, err)
	}

	// POST through edge A reaches the socket held by edge B.
	if status, _, body := httpDo(t, http.MethodPost, manageURL, []byte("from a")); status != http.StatusOK {
		t.Fatalf("POST = %d %s, want 200", status, body)
	}
	if got := readText(t, client); got != "from a" {
		t.Fatalf("frame on edge B = %q, want %q", got, "from a")
	}

	// Too large for @connections: refused at edge A.
	if status, hdr, _ := httpDo(t, http.MethodPost, manageURL, make([]byte, 128<<10+1)); status != http.StatusRequestEntityTooLarge || hdr.Get("x-amzn-ErrorType") != "PayloadTooLargeException" {
		t.Errorf("POST 128 KiB + 1 = %d %q, want 413 PayloadTooLargeException", status, hdr.Get("x-amzn-ErrorType"))
	}

	// DELETE through edge A closes the socket on edge B.
	if status, _, body := httpDo(t, http.MethodDelete, manageURL, nil); status != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s, want 204", status, body)
	}
	if code := readClose(t, client); code != websocket.CloseNormalClosure {
		t.Errorf("close code = %d, want 1000", code)
	}

	// Afterwards, and for ids nobody has, 410 GoneException.
	natstest.Eventually(t, waitFor, func() error {
		status, hdr, _ := httpDo(t, http.MethodPost, manageURL, []byte("late"))
		if status != http.StatusGone || hdr.Get("x-amzn-ErrorType") != "GoneException" {
			return fmt.Errorf("POST after close = %d %q, want 410 GoneException", status, hdr.Get("x-amzn-ErrorType"))
		}
		return nil
	})
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		if status, _, _ := httpDo(t, method, "http://"+a.addr+"/"+testStage+"/@connections/AAAAAAAAAAAAAAA=", nil); status != http.StatusGone {
			t.Errorf("%s unknown id = %d, want 410", method, status)
		}
	}
	if status, _, _ := httpDo(t, http.MethodPut, manageURL, nil); status != http.StatusBadRequest {
		t.Errorf("PUT = %d, want 400", status)
	}
}

func manageBus(t *testing.T, nc *nats.Conn, req wire.ManageRequest) wire.ManageResponse {
	t.Helper()
	data, _ := wire.Marshal(req)
	reply, err := nc.Request(wire.SubjectConnManage, data, waitFor)
	if err != nil {
		t.Fatalf("manage %+v: %v", req, err)
	}
	var resp wire.ManageResponse
	if err := wire.Unmarshal(reply.Data, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestBroadcastAndGroupsAcrossEdges(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	startConnections(t, s)
	conn := backend(t, be, "chat.connect")
	api := wsAPI(natsRoute(ws.RouteConnect, "chat.connect"))
	a := startEdge(t, s, "edge-a", api)
	b := startEdge(t, s, "edge-b", api)

	// Sockets: a1 and a2 on edge A, b1 on edge B, all on stage prod; d1 on stage dev.
	clients := map[string]*websocket.Conn{}
	ids := map[string]string{}
	for i, x := range []struct {
		name string
		e    *edge
		url  string
	}{
		{"a1", a, a.url()}, {"a2", a, a.url()}, {"b1", b, b.url()}, {"d1", b, "ws://" + b.addr + "/dev"},
	} {
		c, _, err := websocket.DefaultDialer.Dial(x.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		clients[x.name] = c
		ids[x.name] = conn.nthConnectionID(t, i)
	}
	for _, name := range []string{"a1", "a2", "b1"} {
		natstest.Eventually(t, waitFor, func() error {
			if r := manageBus(t, be, wire.ManageRequest{Op: wire.ManageGet, ConnectionID: ids[name]}); r.Code != wire.CodeOK {
				return fmt.Errorf("GET %s = %+v", name, r)
			}
			return nil
		})
	}
	for _, name := range []string{"a1", "b1"} {
		if r := manageBus(t, be, wire.ManageRequest{Op: wire.ManageJoin, ConnectionID: ids[name], Group: "room"}); r.Code != wire.CodeOK {
			t.Fatalf("join %s = %+v", name, r)
		}
	}
	if r := manageBus(t, be, wire.ManageRequest{Op: wire.ManageBroadcast, APIID: testAPI, Stage: testStage, Group: "room", Data: []byte("to room")}); r.Code != wire.CodeOK {
		t.Fatalf("group broadcast = %+v", r)
	}
	if r := manageBus(t, be, wire.ManageRequest{Op: wire.ManageBroadcast, APIID: testAPI, Stage: testStage, Data: []byte("to stage")}); r.Code != wire.CodeOK {
		t.Fatalf("stage broadcast = %+v", r)
	}
	// Members see both, in order; a2 sees only the stage broadcast; d1 (other stage) nothing
	// until the message sent to it directly.
	for name, want := range map[string][]string{
		"a1": {"to room", "to stage"},
		"b1": {"to room", "to stage"},
		"a2": {"to stage"},
	} {
		for _, w := range want {
			if got := readText(t, clients[name]); got != w {
				t.Errorf("%s got %q, want %q", name, got, w)
			}
		}
	}
	if r := manageBus(t, be, wire.ManageRequest{Op: wire.ManagePost, ConnectionID: ids["d1"], Data: []byte("direct")}); r.Code != wire.CodeOK {
		t.Fatalf("post d1 = %+v", r)
	}
	if got := readText(t, clients["d1"]); got != "direct" {
		t.Errorf("d1 got %q, want only the direct message", got)
	}

	// After leaving, a1 no longer gets the group's messages.
	if r := manageBus(t, be, wire.ManageRequest{Op: wire.ManageLeave, ConnectionID: ids["a1"], Group: "room"}); r.Code != wire.CodeOK {
		t.Fatalf("leave = %+v", r)
	}
	manageBus(t, be, wire.ManageRequest{Op: wire.ManageBroadcast, APIID: testAPI, Stage: testStage, Group: "room", Data: []byte("room again")})
	manageBus(t, be, wire.ManageRequest{Op: wire.ManageBroadcast, APIID: testAPI, Stage: testStage, Data: []byte("stage again")})
	if got := readText(t, clients["a1"]); got != "stage again" {
		t.Errorf("a1 after leave got %q, want %q", got, "stage again")
	}
	if got := readText(t, clients["b1"]); got != "room again" {
		t.Errorf("b1 got %q, want %q", got, "room again")
	}
}

func TestResyncAfterConnectionsStart(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	conn := backend(t, be, "chat.connect")
	e := startEdge(t, s, "edge-a", wsAPI(natsRoute(ws.RouteConnect, "chat.connect")))
	client := dial(t, e.url())
	id := conn.nthConnectionID(t, 0)
	natstest.Eventually(t, waitFor, func() error {
		if e.hub.Count() != 1 {
			return fmt.Errorf("Count() = %d", e.hub.Count())
		}
		return nil
	})
	// The registry starts after the socket was opened: its resync request recovers it.
	startConnections(t, s)
	natstest.Eventually(t, waitFor, func() error {
		if r := manageBus(t, be, wire.ManageRequest{Op: wire.ManagePost, ConnectionID: id, Data: []byte("found")}); r.Code != wire.CodeOK {
			return fmt.Errorf("post = %+v", r)
		}
		return nil
	})
	if got := readText(t, client); got != "found" {
		t.Fatalf("frame = %q, want found", got)
	}
}

// TestConnectionsSigV4 checks @connections authorization as AWS does it: the admin's SigV4
// signature is accepted from either edge; unsigned calls and wrong secrets are 403.
func TestConnectionsSigV4(t *testing.T) {
	s := natstest.Start(t)
	be := natstest.Connect(t, s)
	startConnections(t, s)
	conn := backend(t, be, "sig.connect")
	api := wsAPI(natsRoute(ws.RouteConnect, "sig.connect"))
	a := startEdge(t, s, "edge-a", api)
	b := startEdge(t, s, "edge-b", api)
	client := dial(t, b.url())
	id := conn.nthConnectionID(t, 0)
	url := "http://" + a.addr + "/" + testStage + "/@connections/" + id

	for _, tt := range []struct {
		name     string
		creds    aws.Credentials
		wantType string
	}{
		{"unsigned", aws.Credentials{}, "MissingAuthenticationTokenException"},
		{"wrong secret", aws.Credentials{AccessKeyID: adminCreds.AccessKeyID, SecretAccessKey: "nope"}, "InvalidSignatureException"},
		{"unknown key", aws.Credentials{AccessKeyID: "AKIDSTRANGER", SecretAccessKey: "x"}, "UnrecognizedClientException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{"POST", "GET", "DELETE"} {
				status, hdr, body := httpDoAs(t, tt.creds, method, url, []byte("nope"))
				if status != http.StatusForbidden || hdr.Get("x-amzn-ErrorType") != tt.wantType {
					t.Errorf("%s = %d %s %s, want 403 %s", method, status, hdr.Get("x-amzn-ErrorType"), body, tt.wantType)
				}
			}
		})
	}
	natstest.Eventually(t, waitFor, func() error {
		if status, _, body := httpDo(t, "POST", url, []byte("signed")); status != http.StatusOK {
			return fmt.Errorf("signed POST = %d %s", status, body)
		}
		return nil
	})
	_ = client.SetReadDeadline(time.Now().Add(waitFor))
	if _, data, err := client.ReadMessage(); err != nil || string(data) != "signed" {
		t.Fatalf("client read %q, %v; want only the signed message", data, err)
	}
}
