package admin

import (
	"slices"
	"strconv"
	"strings"

	"github.com/portico/portico/pkg/model"
)

// A REST API's endpointConfiguration and minimumCompressionSize, kept as AWS keeps them. The
// endpoint type is the API's declared kind (Portico's edges serve every type the same way); the
// compression size is applied by the edges.

var endpointTypes = []string{"EDGE", "REGIONAL", "PRIVATE"}

// checkEndpoint validates an endpoint configuration and fills AWS's default IP address type.
func checkEndpoint(e *model.EndpointConfiguration) error {
	if e == nil {
		return nil
	}
	if len(e.Types) != 1 {
		return badRequest("Only one endpoint type may be specified")
	}
	if !slices.Contains(endpointTypes, e.Types[0]) {
		return badRequest("Invalid endpoint configuration type %s. Must be one of: %s", e.Types[0], strings.Join(endpointTypes, ", "))
	}
	switch e.IPAddressType {
	case "":
		e.IPAddressType = "ipv4"
		if e.Types[0] == "PRIVATE" {
			e.IPAddressType = "dualstack"
		}
	case "ipv4", "dualstack":
		if e.Types[0] == "PRIVATE" && e.IPAddressType == "ipv4" {
			return badRequest("Private APIs only support the dualstack IP address type")
		}
	default:
		return badRequest("Invalid IP address type %s. Must be one of: ipv4, dualstack", e.IPAddressType)
	}
	if len(e.VPCEndpointIDs) > 0 && e.Types[0] != "PRIVATE" {
		return badRequest("VPC endpoint IDs may only be set for a PRIVATE API")
	}
	return nil
}

// endpointView is the endpointConfiguration an API answers with: its own, or AWS's default.
func endpointView(a *model.RestAPI) endpointConfig {
	if e := a.EndpointConfiguration; e != nil {
		return endpointConfig{IPAddressType: e.IPAddressType, Types: e.Types, VPCEndpointIDs: e.VPCEndpointIDs}
	}
	return defaultEndpoint()
}

// checkCompressionSize validates a minimumCompressionSize (0 to 10 MiB).
func checkCompressionSize(n *int) error {
	if n != nil && (*n < 0 || *n > model.MaxCompressionSize) {
		return errCompressionSize()
	}
	return nil
}

// patchCompressionSize applies replace /minimumCompressionSize: a size, or no value to turn
// compression off.
func patchCompressionSize(a *model.RestAPI, p patchOp) error {
	if p.Op != "replace" {
		return errOnlyReplace()
	}
	if p.Value == "" {
		a.MinimumCompressionSize = nil
		return nil
	}
	n, err := strconv.Atoi(p.Value)
	if err != nil {
		return errCompressionSize()
	}
	if err := checkCompressionSize(&n); err != nil {
		return err
	}
	a.MinimumCompressionSize = &n
	return nil
}

// patchEndpoint applies replace /endpointConfiguration/types/{current} (the value is the new
// type) and replace /endpointConfiguration/ipAddressType.
func patchEndpoint(a *model.RestAPI, p patchOp) error {
	if p.Op != "replace" {
		return errOnlyReplace()
	}
	e := model.EndpointConfiguration{Types: []string{"EDGE"}, IPAddressType: "ipv4"}
	if a.EndpointConfiguration != nil {
		e = *a.EndpointConfiguration
		e.Types = slices.Clone(e.Types)
	}
	switch rest := strings.TrimPrefix(p.Path, "/endpointConfiguration/"); {
	case strings.HasPrefix(rest, "types/"):
		if cur := strings.TrimPrefix(rest, "types/"); !slices.Contains(e.Types, cur) {
			return badRequest("Invalid patch path  '%s' specified for op 'replace'. The API's endpoint type is %s", p.Path, strings.Join(e.Types, ","))
		}
		e.Types = []string{p.Value}
		if p.Value != "PRIVATE" {
			e.VPCEndpointIDs = nil
			if e.IPAddressType == "" {
				e.IPAddressType = "ipv4"
			}
		} else {
			e.IPAddressType = "dualstack"
		}
	case rest == "ipAddressType":
		e.IPAddressType = p.Value
	default:
		return invalidPatchPath(p)
	}
	if err := checkEndpoint(&e); err != nil {
		return err
	}
	a.EndpointConfiguration = &e
	return nil
}
