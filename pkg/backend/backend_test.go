package backend

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

func TestHandleNativeMessage(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	svc, err := New(nc, Config{Name: "pets", Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	var got *Request
	err = svc.Handle("get", "pets.get", func(_ context.Context, r *Request) (*Response, error) {
		got = r
		if r.PathParams["id"] == "missing" {
			return nil, &Error{Status: 404, Message: "no such pet"}
		}
		if r.PathParams["id"] == "boom" {
			return nil, context.DeadlineExceeded
		}
		return &Response{Status: 201, Header: map[string]string{"X-Pet": r.PathParams["id"]}, Body: append([]byte("pet "), r.Body...)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	call := func(id string) *nats.Msg {
		msg := nats.NewMsg("pets.get")
		msg.Header.Set(wire.HeaderMethod, "GET")
		msg.Header.Set(wire.HeaderPath, "/pets/"+id)
		msg.Header.Set(wire.HeaderResourcePath, "/pets/{id}")
		msg.Header.Set(wire.HeaderPathParams, "id="+id)
		msg.Header.Set(wire.HeaderQuery, "a=1&a=2&b=x")
		msg.Header.Set(wire.HeaderRequestID, "req-1")
		msg.Header.Set("Content-Type", "text/plain")
		msg.Data = []byte{0, 1, 2}
		reply, err := nc.RequestMsg(msg, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return reply
	}
	reply := call("7")
	if reply.Header.Get(wire.HeaderStatus) != "201" || reply.Header.Get("X-Pet") != "7" || string(reply.Data) != "pet \x00\x01\x02" {
		t.Errorf("reply = %v %q", reply.Header, reply.Data)
	}
	if got.Method != "GET" || got.ResourcePath != "/pets/{id}" || got.RequestID != "req-1" || len(got.Query["a"]) != 2 ||
		got.Header.Get("Content-Type") != "text/plain" || got.Header.Get(wire.HeaderMethod) != "" {
		t.Errorf("decoded request = %+v", got)
	}
	if r := call("missing"); r.Header.Get(wire.HeaderServiceErrorCode) != "404" || r.Header.Get(wire.HeaderServiceError) != "no such pet" {
		t.Errorf("Error reply headers = %v", r.Header)
	}
	if r := call("boom"); r.Header.Get(wire.HeaderServiceErrorCode) != "500" || r.Header.Get(wire.HeaderServiceError) != "Internal server error" {
		t.Errorf("failure reply headers = %v", r.Header)
	}
}

// TestMicroEndpoints: a backend answers nats.go micro's $SRV.PING, $SRV.INFO and $SRV.STATS.
func TestMicroEndpoints(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv)
	svc, err := New(nc, Config{Name: "pets", Version: "1.2.3", Description: "pet store"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	if err := svc.Handle("list", "pets.list", func(context.Context, *Request) (*Response, error) { return &Response{}, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Request("pets.list", nil, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"PING", "INFO", "STATS"} {
		reply, err := nc.Request("$SRV."+verb+".pets", nil, 5*time.Second)
		if err != nil {
			t.Fatalf("$SRV.%s.pets: %v", verb, err)
		}
		var m map[string]any
		if err := json.Unmarshal(reply.Data, &m); err != nil || m["name"] != "pets" || m["version"] != "1.2.3" {
			t.Errorf("$SRV.%s.pets = %s", verb, reply.Data)
		}
	}
	reply, _ := nc.Request("$SRV.STATS.pets", nil, 5*time.Second)
	var stats micro.Stats
	if err := json.Unmarshal(reply.Data, &stats); err != nil || len(stats.Endpoints) != 1 || stats.Endpoints[0].NumRequests != 1 {
		t.Errorf("$SRV.STATS = %s", reply.Data)
	}
}
