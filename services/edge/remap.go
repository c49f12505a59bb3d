package edge

import (
	"strings"

	"github.com/valyala/fasthttp"
)

// remappedPrefix renames integration response headers a REST API does not pass through as
// they are: API Gateway sends them as x-amzn-Remapped-{name}.
const remappedPrefix = "x-amzn-Remapped-"

// remappedHeaders are the Lambda proxy response headers REST APIs remap (lower case).
var remappedHeaders = map[string]bool{
	"authorization":    true,
	"connection":       true,
	"date":             true,
	"server":           true,
	"www-authenticate": true,
	"x-amzn-requestid": true,
}

// integrationRemapped are the headers a REST API remaps in an HTTP integration's response and
// in an integration response's header mapping (method.response.header.X), as AWS recorded
// them (LocalStack's test_apigateway_header_remapping_http snapshot): Transfer-Encoding is
// dropped instead.
var integrationRemapped = map[string]bool{
	"authorization":      true,
	"connection":         true,
	"content-length":     true,
	"content-md5":        true,
	"date":               true,
	"expect":             true,
	"host":               true,
	"max-forwards":       true,
	"proxy-authenticate": true,
	"server":             true,
	"trailer":            true,
	"upgrade":            true,
	"user-agent":         true,
	"www-authenticate":   true,
	"x-amzn-requestid":   true,
}

func remapped(name string) bool { return remappedHeaders[strings.ToLower(name)] }

// setIntegrationHeader sets a REST method response header from an integration response
// mapping or override: a remapped name becomes x-amzn-Remapped-{name}, Transfer-Encoding is
// dropped.
func setIntegrationHeader(h *fasthttp.ResponseHeader, name, value string) {
	switch lower := strings.ToLower(name); {
	case lower == "transfer-encoding":
	case integrationRemapped[lower]:
		h.Set(remappedPrefix+name, value)
	default:
		h.Set(name, value)
	}
}

// remapHeaders renames the remapped headers of an HTTP integration's response.
func remapHeaders(h *fasthttp.ResponseHeader) {
	var found [][2]string
	for k, v := range h.All() {
		if integrationRemapped[strings.ToLower(string(k))] {
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
