package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/valyala/fasthttp"

	"github.com/portico/portico/pkg/backend"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// BenchmarkNATSProxy sends GET /pets/{id} through a running edge to a pkg/backend subscriber
// on its own connection, all over a real embedded NATS server, from parallel keep-alive
// clients. Besides ns/op it reports the process's CPU time per request (cpu-µs/op: edge,
// NATS server, backend and client together), which other processes on the machine disturb
// less than wall time, and garbage collections per 1,000 requests.
func BenchmarkNATSProxy(b *testing.B) {
	srv := natstest.Start(b)
	nc := natstest.Connect(b, srv)
	backendNC := natstest.Connect(b, srv)
	be, err := backend.New(backendNC, backend.Config{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Stop() })
	body := []byte(`{"id":1,"type":"dog","price":249.99}`)
	if err := be.Handle("get", "bench.pets.get", func(_ context.Context, r *backend.Request) (*backend.Response, error) {
		if r.PathParams["petId"] != "1" {
			return &backend.Response{Status: 404}, nil
		}
		return &backend.Response{Header: map[string]string{"Content-Type": "application/json"}, Body: body}, nil
	}); err != nil {
		b.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	svc, err := New(DefaultConfig(), Deps{NATS: nc, Authz: allowAll{}, Limiter: allowAll{}, Listener: ln})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case <-svc.Ready():
	case err := <-done:
		b.Fatalf("edge stopped: %v", err)
	case <-time.After(10 * time.Second):
		b.Fatal("edge not ready")
	}

	api := restAPI("benchapi", resource("/pets/{petId}", map[string]model.Method{"GET": {HTTPMethod: "GET",
		AuthorizationType: model.AuthNone, MethodIntegration: &model.Integration{Type: model.IntegrationNATSProxy, URI: "bench.pets.get"}}}))
	dep := model.Deployment{ID: "d1", APIID: api.ID, CreatedDate: time.Now().UTC(), API: api}
	st := model.Stage{APIID: api.ID, StageName: "prod", DeploymentID: dep.ID, CreatedDate: time.Now().UTC()}
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, wire.ConfigBucket)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range []struct {
		k string
		v any
	}{{wire.KeyDeployment(api.ID, dep.ID), dep}, {wire.KeyStage(api.ID, "prod"), st}} {
		raw, _ := json.Marshal(e.v)
		if _, err := kv.Put(ctx, e.k, raw); err != nil {
			b.Fatal(err)
		}
	}
	url := "http://" + ln.Addr().String() + restPath(api.ID, "prod", "/pets/1")
	client := &fasthttp.Client{MaxConnsPerHost: 1024}
	natstest.Eventually(b, 10*time.Second, func() error {
		code, _, err := client.Get(nil, url)
		if err != nil || code != 200 {
			return fmt.Errorf("GET %s = %d, %v", url, code, err)
		}
		return nil
	})

	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start, gcs := cpu(), ms.NumGC
	b.RunParallel(func(pb *testing.PB) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(url)
		for pb.Next() {
			if err := client.Do(req, resp); err != nil || resp.StatusCode() != 200 {
				b.Errorf("GET = %d, %v", resp.StatusCode(), err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpu()-start).Microseconds())/float64(b.N), "cpu-µs/op")
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.NumGC-gcs)*1000/float64(b.N), "gc/1k-op")
}
