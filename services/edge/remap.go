package edge

import (
	"strings"

	"github.com/valyala/fasthttp"
)

// remappedPrefix renames integration response headers a REST API does not pass through as
// they are: API Gateway sends them as x-amzn-Remapped-{name}.
const remappedPrefix = "x-amzn-Remapped-"

// remappedHeaders are the integration response headers REST APIs remap (lower case).
var remappedHeaders = map[string]bool{
	"authorization":    true,
	"connection":       true,
	"date":             true,
	"server":           true,
	"www-authenticate": true,
	"x-amzn-requestid": true,
}

func remapped(name string) bool { return remappedHeaders[strings.ToLower(name)] }

// remapHeaders renames the remapped headers of an HTTP integration's response.
func remapHeaders(h *fasthttp.ResponseHeader) {
	var found [][2]string
	for k, v := range h.All() {
		if remapped(string(k)) {
			found = append(found, [2]string{string(k), string(v)})
		}
	}
	for _, kv := range found {
		h.Del(kv[0])
	}
	for _, kv := range found {
		h.Add(remappedPrefix+kv[0], kv[1])
	}
}
