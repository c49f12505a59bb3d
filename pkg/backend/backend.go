// Package backend is the SDK for writing Portico backends: ordinary NATS subscribers built on
// nats.go's micro package, so every backend answers $SRV.PING, $SRV.INFO and $SRV.STATS.
// A handler receives the native integration message of pkg/wire decoded into a Request and
// returns a Response.
package backend

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

// Request is one HTTP request as the edge forwarded it.
type Request struct {
	Method       string
	Path         string
	ResourcePath string
	RouteKey     string
	APIID        string
	Stage        string
	RequestID    string
	SourceIP     string
	PrincipalID  string
	PathParams   map[string]string
	Query        url.Values
	// Header holds the client's HTTP headers (without Portico's reserved ones).
	Header nats.Header
	Body   []byte
}

// Response is what the handler answers. Status 0 means 200.
type Response struct {
	Status int
	Header map[string]string
	Body   []byte
}

// Error is returned by a handler to answer with a status and a message.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

// HandlerFunc handles one request.
type HandlerFunc func(ctx context.Context, req *Request) (*Response, error)

// Config names the backend service (micro's name rules: letters, digits, - and _).
type Config struct {
	Name        string
	Version     string // semver; default 0.0.1
	Description string
	// QueueGroup load-balances instances; default "portico-backend-" + Name.
	QueueGroup string
	Tracer     trace.TracerProvider
}

// Service is a running backend.
type Service struct {
	svc    micro.Service
	tracer trace.Tracer
	queue  string
	// spanNames caches each route's span name (spanKey → string).
	spanNames     sync.Map
	spanNameCount atomic.Int64
}

// New registers a micro service on nc. Add endpoints with Handle; Stop when done.
func New(nc *nats.Conn, cfg Config) (*Service, error) {
	if cfg.Version == "" {
		cfg.Version = "0.0.1"
	}
	if cfg.QueueGroup == "" {
		cfg.QueueGroup = "portico-backend-" + cfg.Name
	}
	if cfg.Tracer == nil {
		cfg.Tracer = noop.NewTracerProvider()
	}
	svc, err := micro.AddService(nc, micro.Config{
		Name:        cfg.Name,
		Version:     cfg.Version,
		Description: cfg.Description,
		QueueGroup:  cfg.QueueGroup,
	})
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", cfg.Name, err)
	}
	return &Service{svc: svc, tracer: cfg.Tracer.Tracer("github.com/portico/portico/pkg/backend"), queue: cfg.QueueGroup}, nil
}

// Handle serves subject (an integration's uri) with h.
func (s *Service) Handle(name, subject string, h HandlerFunc) error {
	return s.svc.AddEndpoint(name, micro.HandlerFunc(func(r micro.Request) {
		s.serve(r, h)
	}), micro.WithEndpointSubject(subject), micro.WithEndpointQueueGroup(s.queue))
}

// Stop drains the service's subscriptions.
func (s *Service) Stop() error { return s.svc.Stop() }

// Info returns micro's service info.
func (s *Service) Info() micro.Info { return s.svc.Info() }

// serverKind is the span kind option of every backend span, made once.
var serverKind = trace.WithSpanKind(trace.SpanKindServer)

// spanKey identifies a span name in Service.spanNames.
type spanKey struct{ method, resourcePath string }

// maxSpanNames bounds the cache of span names (a backend serves few routes; a client cannot
// grow it past this with odd methods).
const maxSpanNames = 1024

// spanName returns "backend METHOD RESOURCEPATH", built once per route.
func (s *Service) spanName(method, resourcePath string) string {
	k := spanKey{method, resourcePath}
	if v, ok := s.spanNames.Load(k); ok {
		return v.(string)
	}
	name := "backend " + method + " " + resourcePath
	if s.spanNameCount.Add(1) <= maxSpanNames {
		s.spanNames.Store(k, name)
	}
	return name
}

// replyHeaders are reused micro.Headers: micro encodes them while it sends the reply.
var replyHeaders = sync.Pool{New: func() any { return &replyHeader{h: micro.Headers{}} }}

type replyHeader struct {
	h    micro.Headers
	vals []string
}

func (s *Service) serve(r micro.Request, h HandlerFunc) {
	msg := &nats.Msg{Header: nats.Header(r.Headers()), Data: r.Data()}
	ctx := telemetry.Extract(context.Background(), msg)
	req := Decode(msg)
	ctx, span := s.tracer.Start(ctx, s.spanName(req.Method, req.ResourcePath), serverKind)
	defer span.End()
	if span.IsRecording() {
		span.SetAttributes(attribute.String("portico.request_id", req.RequestID))
	}
	resp, err := h(ctx, req)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		var he *Error
		if errors.As(err, &he) {
			_ = r.Error(strconv.Itoa(he.Status), he.Message, nil)
			return
		}
		_ = r.Error("500", "Internal server error", nil)
		return
	}
	if resp == nil {
		resp = &Response{}
	}
	rh := replyHeaders.Get().(*replyHeader)
	hdr := rh.h
	for k, v := range resp.Header {
		rh.vals = append(rh.vals, v)
		hdr[k] = rh.vals[len(rh.vals)-1 : len(rh.vals) : len(rh.vals)]
	}
	if resp.Status != 0 && resp.Status != 200 {
		hdr[wire.HeaderStatus] = []string{strconv.Itoa(resp.Status)}
	}
	_ = r.Respond(resp.Body, micro.WithHeaders(hdr))
	if len(hdr) <= 32 {
		clear(hdr)
		clear(rh.vals)
		rh.vals = rh.vals[:0]
		replyHeaders.Put(rh)
	}
}

// Decode reads the native integration message of pkg/wire.
func Decode(msg *nats.Msg) *Request {
	h := msg.Header
	req := &Request{
		Method:       h.Get(wire.HeaderMethod),
		Path:         h.Get(wire.HeaderPath),
		ResourcePath: h.Get(wire.HeaderResourcePath),
		RouteKey:     h.Get(wire.HeaderRouteKey),
		APIID:        h.Get(wire.HeaderAPIID),
		Stage:        h.Get(wire.HeaderStage),
		RequestID:    h.Get(wire.HeaderRequestID),
		SourceIP:     h.Get(wire.HeaderSourceIP),
		PrincipalID:  h.Get(wire.HeaderPrincipalID),
		Header:       nats.Header{},
		Body:         msg.Data,
	}
	req.PathParams = parsePathParams(h.Get(wire.HeaderPathParams))
	req.Query, _ = url.ParseQuery(h.Get(wire.HeaderQuery))
	for k, v := range h {
		if !wire.IsReserved(k) && k != wire.HeaderTraceparent && k != wire.HeaderTracestate {
			req.Header[k] = v
		}
	}
	return req
}

// parsePathParams reads the Portico-Path-Params header as url.ParseQuery does, keeping each
// name's first value: nil when it is empty or malformed.
func parsePathParams(q string) map[string]string {
	var m map[string]string
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if strings.Contains(kv, ";") {
			return nil
		}
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err := queryUnescape(k)
		if err != nil {
			return nil
		}
		v, err = queryUnescape(v)
		if err != nil {
			return nil
		}
		if m == nil {
			m = make(map[string]string, 2)
		}
		if _, seen := m[k]; !seen {
			m[k] = v
		}
	}
	return m
}

// queryUnescape is url.QueryUnescape without a copy when there is nothing to unescape.
func queryUnescape(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	return url.QueryUnescape(s)
}
