package admin

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

// Bounds of @connections forwarding.
const (
	maxConnMessage = 128 << 10
	manageTimeout  = 5 * time.Second
	maxConnIDLen   = 128
)

// busRequest sends req to a Portico service on subject and decodes its answer into resp;
// no responders is AWS's 503 naming the service.
func (s *Service) busRequest(ctx context.Context, subject, service string, req, resp any) error {
	data, err := wire.Marshal(req)
	if err != nil {
		return err
	}
	msg := &nats.Msg{Subject: subject, Data: data}
	telemetry.Inject(ctx, msg)
	ctx, cancel := context.WithTimeout(ctx, manageTimeout)
	defer cancel()
	reply, err := s.nc.RequestMsgWithContext(ctx, msg)
	if errors.Is(err, nats.ErrNoResponders) {
		return &apiError{http.StatusServiceUnavailable, "ServiceUnavailableException", "The " + service + " service is unavailable"}
	}
	if err != nil {
		return err
	}
	return wire.Unmarshal(reply.Data, resp)
}

func (s *Service) info(_ context.Context, _ *store, _ *http.Request, _ []byte) (int, any, error) {
	return http.StatusOK, map[string]string{"edgeUrl": s.cfg.EdgeURL, "version": Version}, nil
}

// manageConnection forwards an @connections call to the connections service over NATS.
func (s *Service) manageConnection(ctx context.Context, _ *store, r *http.Request, body []byte) (int, any, error) {
	id := r.PathValue("connection_id")
	if id == "" || len(id) > maxConnIDLen {
		return 0, nil, badRequest("Invalid connectionId")
	}
	req := wire.ManageRequest{ConnectionID: id}
	switch r.Method {
	case http.MethodPost:
		if len(body) > maxConnMessage {
			return 0, nil, errTooLarge
		}
		req.Op, req.Data = wire.ManagePost, body
	case http.MethodGet:
		req.Op = wire.ManageGet
	default:
		req.Op = wire.ManageDelete
	}
	var resp wire.ManageResponse
	if err := s.busRequest(ctx, wire.SubjectConnManage, "connections", req, &resp); err != nil {
		return 0, nil, err
	}
	switch resp.Code {
	case wire.CodeOK:
	case wire.CodeGone:
		return 0, nil, &apiError{http.StatusGone, "GoneException", "Connection is gone"}
	default:
		msg := resp.Message
		if msg == "" {
			msg = resp.Code
		}
		return 0, nil, &apiError{wire.StatusOf(resp.Code), resp.Code, msg}
	}
	switch req.Op {
	case wire.ManageGet:
		if resp.Connection == nil {
			return 0, nil, &apiError{http.StatusGone, "GoneException", "Connection is gone"}
		}
		return http.StatusOK, resp.Connection, nil
	case wire.ManageDelete:
		return http.StatusNoContent, nil, nil
	default:
		return http.StatusOK, nil, nil
	}
}

// connectionCount: GET /portico/connections[?apiId=&stage=] answers how many WebSocket
// connections the connections service's registry holds, {"count": N}.
func (s *Service) connectionCount(ctx context.Context, _ *store, r *http.Request, _ []byte) (int, any, error) {
	q := r.URL.Query()
	var resp wire.ManageResponse
	if err := s.busRequest(ctx, wire.SubjectConnManage, "connections", wire.ManageRequest{Op: wire.ManageCount, APIID: q.Get("apiId"), Stage: q.Get("stage")}, &resp); err != nil {
		return 0, nil, err
	}
	if resp.Code != wire.CodeOK {
		return 0, nil, &apiError{wire.StatusOf(resp.Code), "BadRequestException", resp.Message}
	}
	return http.StatusOK, map[string]int{"count": resp.Count}, nil
}
