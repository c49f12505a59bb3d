// Package petstore is Portico's example backend: a pet store served as NATS subscribers with
// pkg/backend, and the same logic over plain HTTP for benchmarks.
package petstore

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico/portico/pkg/backend"
)

// Subjects the example API's integrations point at.
const (
	SubjectList   = "petstore.pets.list"
	SubjectGet    = "petstore.pets.get"
	SubjectCreate = "petstore.pets.create"
	SubjectEcho   = "petstore.echo"
)

// Serve registers the pet store backend on nc.
func Serve(nc *nats.Conn, store *Store, tp trace.TracerProvider) (*backend.Service, error) {
	svc, err := backend.New(nc, backend.Config{Name: "petstore", Version: "1.0.0", Description: "Portico example pet store", Tracer: tp})
	if err != nil {
		return nil, err
	}
	json := map[string]string{"Content-Type": "application/json"}
	endpoints := []struct {
		name, subject string
		h             backend.HandlerFunc
	}{
		{"list", SubjectList, func(context.Context, *backend.Request) (*backend.Response, error) {
			return &backend.Response{Header: json, Body: store.List()}, nil
		}},
		{"get", SubjectGet, func(_ context.Context, r *backend.Request) (*backend.Response, error) {
			b, ok := store.Get(r.PathParams["petId"])
			if !ok {
				return &backend.Response{Status: 404, Header: json, Body: []byte(`{"message":"pet not found"}`)}, nil
			}
			return &backend.Response{Header: json, Body: b}, nil
		}},
		{"create", SubjectCreate, func(_ context.Context, r *backend.Request) (*backend.Response, error) {
			b, ok := store.Create(r.Body)
			if !ok {
				return &backend.Response{Status: 400, Header: json, Body: []byte(`{"message":"invalid pet"}`)}, nil
			}
			return &backend.Response{Status: 201, Header: json, Body: b}, nil
		}},
		{"echo", SubjectEcho, func(_ context.Context, r *backend.Request) (*backend.Response, error) {
			return &backend.Response{Header: map[string]string{"Content-Type": "text/plain", "X-Echo-Path": r.Path,
				"X-Echo-Proxy": r.PathParams["proxy"]}, Body: r.Body}, nil
		}},
	}
	for _, e := range endpoints {
		if err := svc.Handle(e.name, e.subject, e.h); err != nil {
			_ = svc.Stop()
			return nil, err
		}
	}
	return svc, nil
}
