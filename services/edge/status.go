package edge

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/valyala/fasthttp"
)

// StageStatus is one served stage, as GET /@portico/stages lists it.
type StageStatus struct {
	APIID        string `json:"apiId"`
	Stage        string `json:"stage"`
	DeploymentID string `json:"deploymentId"`
	Protocol     string `json:"protocol"`
	// CanaryDeploymentID and CanaryPercent describe the stage's canary, if it has one.
	CanaryDeploymentID string  `json:"canaryDeploymentId,omitempty"`
	CanaryPercent      float64 `json:"canaryPercent,omitempty"`
}

// status serves the edge's own endpoints: /@portico/health (200 once serving) and
// /@portico/stages (what this edge serves, so operators and tests can see a deployment arrive).
func (s *Service) status(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.SetContentType("application/json")
	switch string(ctx.URI().PathOriginal()) {
	case "/@portico/health":
		ctx.SetBodyString(`{"status":"ok","edgeId":` + quote(s.cfg.EdgeID) + `}`)
	case "/@portico/stages":
		t := *s.tables.Load()
		out := make([]StageStatus, 0, len(t))
		for _, st := range t {
			ss := StageStatus{APIID: st.apiID, Stage: st.name, DeploymentID: st.deploymentID, Protocol: st.protocol()}
			if st.canary != nil {
				ss.CanaryDeploymentID, ss.CanaryPercent = st.canary.deploymentID, st.canaryPercent
			}
			out = append(out, ss)
		}
		slices.SortFunc(out, func(a, b StageStatus) int {
			return strings.Compare(a.APIID+"/"+a.Stage, b.APIID+"/"+b.Stage)
		})
		b, _ := json.Marshal(out)
		ctx.SetBody(b)
	default:
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		ctx.SetBodyString(`{"message":"Not Found"}`)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
