package admin

import (
	"net/http"
	"strconv"
)

// maxPageLimit is AWS's largest page (limit) for apigateway listings.
const maxPageLimit = 500

// paged is apigateway's paged list shape: the page under "item" and, when more follow, the
// position to ask for next.
type paged[T any] struct {
	Item     []T    `json:"item"`
	Position string `json:"position,omitempty"`
}

// page cuts list at the request's position and limit. Without a limit the whole list is one
// page (listings are bounded by maxList), so clients that do not follow positions see
// everything; the AWS CLI's paginators follow them either way. An unreadable position or
// limit starts from the beginning with the default.
func page[T any](r *http.Request, list []T) paged[T] {
	q := r.URL.Query()
	start, err := strconv.Atoi(q.Get("position"))
	if err != nil || start < 0 || start > len(list) {
		start = 0
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > maxPageLimit {
		limit = maxPageLimit
	}
	end := min(start+limit, len(list))
	out := paged[T]{Item: list[start:end]}
	if out.Item == nil {
		out.Item = []T{}
	}
	if end < len(list) {
		out.Position = strconv.Itoa(end)
	}
	return out
}
