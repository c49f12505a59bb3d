package connections

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// TimeFormat is how @connections GET writes connectedAt and lastActiveAt, as AWS does.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime renders unix milliseconds in TimeFormat (UTC).
func FormatTime(ms int64) string { return time.UnixMilli(ms).UTC().Format(TimeFormat) }

// onManage serves a ManageRequest on its own goroutine, at most MaxInFlight at once.
func (s *Service) onManage(msg *nats.Msg) {
	s.sem <- struct{}{}
	s.stopMu.Lock()
	if s.stopped {
		s.stopMu.Unlock()
		<-s.sem
		data, _ := wire.Marshal(wire.ManageResponse{Code: wire.CodeUnavailable, Message: "shutting down"})
		_ = msg.Respond(data)
		return
	}
	s.pending.Add(1)
	s.stopMu.Unlock()
	go func() {
		defer func() { <-s.sem; s.pending.Done() }()
		ctx, span := s.tracer.Start(telemetry.Extract(context.Background(), msg), "connections.manage",
			trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		resp, op := s.manage(ctx, msg.Data)
		span.SetAttributes(attribute.String("portico.op", op))
		if resp.Code != wire.CodeOK {
			span.SetStatus(codes.Error, resp.Code)
		}
		s.metrics.manage.WithLabelValues(op, codeLabel(resp.Code)).Inc()
		data, _ := wire.Marshal(resp)
		if err := msg.Respond(data); err != nil {
			s.log.Debug("manage reply failed", "err", err)
		}
	}()
}

func codeLabel(code string) string {
	if code == wire.CodeOK {
		return "OK"
	}
	return code
}

var gone = wire.ManageResponse{Code: wire.CodeGone, Message: "Gone"}

func (s *Service) manage(ctx context.Context, data []byte) (wire.ManageResponse, string) {
	var req wire.ManageRequest
	if err := wire.Unmarshal(data, &req); err != nil {
		return wire.ManageResponse{Code: wire.CodeBadRequest, Message: "malformed request"}, "invalid"
	}
	op := req.Op
	switch op {
	case wire.ManageGet, wire.ManagePost, wire.ManageDelete, wire.ManageJoin, wire.ManageLeave, wire.ManageBroadcast:
	case wire.ManageCount:
		return wire.ManageResponse{Count: s.reg.count(req.APIID, req.Stage)}, op
	default:
		return wire.ManageResponse{Code: wire.CodeBadRequest, Message: "unknown operation"}, "invalid"
	}
	if (op == wire.ManagePost || op == wire.ManageBroadcast) && len(req.Data) > s.cfg.MaxPayloadBytes {
		return wire.ManageResponse{Code: wire.CodePayloadLarge, Message: "Message too long"}, op
	}
	if (op == wire.ManageJoin || op == wire.ManageLeave) && (req.Group == "" || len(req.Group) > maxGroupLen) {
		return wire.ManageResponse{Code: wire.CodeBadRequest, Message: "Invalid group"}, op
	}
	if op == wire.ManageBroadcast {
		return s.broadcast(ctx, req), op
	}
	if !validKey(req.ConnectionID) {
		return wire.ManageResponse{Code: wire.CodeBadRequest, Message: "Invalid connectionId"}, op
	}
	ev, ok := s.lookup(ctx, req.ConnectionID)
	if !ok || (req.APIID != "" && req.APIID != ev.APIID) || (req.Stage != "" && req.Stage != ev.Stage) {
		return gone, op
	}
	if op == wire.ManageGet {
		return wire.ManageResponse{Connection: &wire.ConnectionInfo{
			ConnectedAt:  FormatTime(ev.ConnectedAt),
			Identity:     ev.Identity,
			LastActiveAt: FormatTime(max(ev.LastActiveAt, ev.ConnectedAt)),
		}}, op
	}
	return s.forward(ctx, ev, wire.Delivery{Op: op, ConnectionID: req.ConnectionID, Data: req.Data, Group: req.Group}), op
}

// maxGroupLen bounds a group name.
const maxGroupLen = 128

// broadcast publishes one Delivery to each edge holding sockets of the API stage; each edge
// writes it to its sockets of the stage (or the group's members).
func (s *Service) broadcast(ctx context.Context, req wire.ManageRequest) wire.ManageResponse {
	if req.APIID == "" || req.Stage == "" || len(req.Group) > maxGroupLen {
		return wire.ManageResponse{Code: wire.CodeBadRequest, Message: "broadcast needs apiId and stage"}
	}
	ctx, span := s.tracer.Start(ctx, "connections.broadcast", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("portico.api_id", req.APIID), attribute.String("portico.stage", req.Stage)))
	defer span.End()
	data, _ := wire.Marshal(wire.Delivery{Op: wire.ManageBroadcast, APIID: req.APIID, Stage: req.Stage, Group: req.Group, Data: req.Data})
	edges := s.reg.edgesOf(req.APIID, req.Stage)
	span.SetAttributes(attribute.Int("portico.edges", len(edges)))
	for _, edge := range edges {
		msg := nats.NewMsg(wire.EdgeDeliverSubject(edge))
		msg.Data = data
		telemetry.Inject(ctx, msg)
		if err := s.nc.PublishMsg(msg); err != nil {
			span.SetStatus(codes.Error, err.Error())
			return wire.ManageResponse{Code: wire.CodeUnavailable, Message: "broadcast not published"}
		}
	}
	return wire.ManageResponse{}
}

// lookup finds a connection in the cache, then in the bucket (written by another instance
// before this one saw the event).
func (s *Service) lookup(ctx context.Context, id string) (wire.ConnEvent, bool) {
	if ev, ok := s.reg.get(id); ok {
		return ev, true
	}
	if s.reg.tombstoned(id) {
		return wire.ConnEvent{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ForwardTimeout)
	defer cancel()
	e, err := s.kv.Get(ctx, id)
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			s.log.Warn("registry read failed", "connection_id", id, "err", err)
		}
		return wire.ConnEvent{}, false
	}
	var ev wire.ConnEvent
	if err := wire.Unmarshal(e.Value(), &ev); err != nil {
		return wire.ConnEvent{}, false
	}
	return ev, true
}

// forward sends a Delivery to the edge holding the socket and relays its answer.
func (s *Service) forward(ctx context.Context, ev wire.ConnEvent, d wire.Delivery) wire.ManageResponse {
	ctx, span := s.tracer.Start(ctx, "connections.deliver", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("portico.edge_id", ev.EdgeID)))
	defer span.End()
	data, _ := wire.Marshal(d)
	msg := nats.NewMsg(wire.EdgeDeliverSubject(ev.EdgeID))
	msg.Data = data
	telemetry.Inject(ctx, msg)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ForwardTimeout)
	defer cancel()
	reply, err := s.nc.RequestMsgWithContext(ctx, msg)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		// The edge is gone: so is the socket.
		s.forget(d.ConnectionID)
		return gone
	case err != nil:
		span.SetStatus(codes.Error, err.Error())
		s.log.Warn("delivery to edge failed", "edge_id", ev.EdgeID, "err", err)
		return wire.ManageResponse{Code: wire.CodeUnavailable, Message: "edge did not answer"}
	}
	var resp wire.ManageResponse
	if err := wire.Unmarshal(reply.Data, &resp); err != nil {
		return wire.ManageResponse{Code: wire.CodeInternal, Message: "malformed edge reply"}
	}
	if resp.Code == wire.CodeGone {
		s.forget(d.ConnectionID)
	}
	return resp
}
