package authzclient

import (
	"errors"
	"net/http"
)

// Errors Check returns when it has no decision. The edge maps them with HTTPStatus.
var (
	// ErrUnavailable: no authz instance is subscribed (NATS answered "no responders" at once)
	// or the connection is closed or draining. The edge answers 503.
	ErrUnavailable = errors.New("authzclient: authz unavailable")
	// ErrTimeout: authz did not answer within Config.Timeout. The edge answers 500, as AWS
	// answers an authorizer that fails (AUTHORIZER_FAILURE).
	ErrTimeout = errors.New("authzclient: authz timed out")
	// ErrBadReply: authz's reply is too large or not a decision. The edge answers 500.
	ErrBadReply = errors.New("authzclient: malformed authz reply")
)

// HTTPStatus is the status the edge answers when Check returns err: 503 for ErrUnavailable,
// 500 for anything else (ErrTimeout, ErrBadReply, a cancelled context), 200 for nil.
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
