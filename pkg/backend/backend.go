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

func (s *Service) serve(r micro.Request, h HandlerFunc) {
	msg := &nats.Msg{Header: nats.Header(r.Headers()), Data: r.Data()}
	ctx := telemetry.Extract(context.Background(), msg)
	req := Decode(msg)
	ctx, span := s.tracer.Start(ctx, "backend "+req.Method+" "+req.ResourcePath, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("portico.request_id", req.RequestID)))
	defer span.End()
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
	hdr := micro.Headers{}
	for k, v := range resp.Header {
		hdr[k] = []string{v}
	}
	if resp.Status != 0 && resp.Status != 200 {
		hdr[wire.HeaderStatus] = []string{strconv.Itoa(resp.Status)}
	}
	_ = r.Respond(resp.Body, micro.WithHeaders(hdr))
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
	if pp, err := url.ParseQuery(h.Get(wire.HeaderPathParams)); err == nil && len(pp) > 0 {
		req.PathParams = make(map[string]string, len(pp))
		for k, v := range pp {
			req.PathParams[k] = v[0]
		}
	}
	req.Query, _ = url.ParseQuery(h.Get(wire.HeaderQuery))
	for k, v := range h {
		if !wire.IsReserved(k) && k != wire.HeaderTraceparent && k != wire.HeaderTracestate {
			req.Header[k] = v
		}
	}
	return req
}
