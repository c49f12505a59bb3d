package petstore

import (
	"strings"

	"github.com/valyala/fasthttp"
)

// HTTPHandler serves the same logic directly over HTTP: the baseline `make bench` compares
// the gateway with.
func HTTPHandler(store *Store) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		path := string(ctx.Path())
		ctx.SetContentType("application/json")
		switch {
		case path == "/pets" && ctx.IsGet():
			ctx.SetBody(store.List())
		case path == "/pets" && ctx.IsPost():
			if b, ok := store.Create(ctx.PostBody()); ok {
				ctx.SetStatusCode(201)
				ctx.SetBody(b)
			} else {
				ctx.SetStatusCode(400)
				ctx.SetBodyString(`{"message":"invalid pet"}`)
			}
		case strings.HasPrefix(path, "/pets/") && ctx.IsGet():
			if b, ok := store.Get(strings.TrimPrefix(path, "/pets/")); ok {
				ctx.SetBody(b)
			} else {
				ctx.SetStatusCode(404)
				ctx.SetBodyString(`{"message":"pet not found"}`)
			}
		default:
			ctx.SetStatusCode(404)
			ctx.SetBodyString(`{"message":"Not Found"}`)
		}
	}
}
