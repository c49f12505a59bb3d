package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/admin/internal/oasexport"
)

// rawBody is an operation result written as is, with its own content headers.
type rawBody struct {
	contentType, disposition string
	data                     []byte
}

// getExport renders the deployment a stage points at (get-export). The AWS parameter
// extensions=apigateway (or integrations) adds the x-amazon-apigateway-* extensions;
// Accept: application/yaml selects YAML.
func (s *Service) getExport(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	typ := r.PathValue("export_type")
	if typ != oasexport.TypeOAS30 && typ != oasexport.TypeSwagger {
		return 0, nil, badRequest("Invalid export type %q: oas30 or swagger", typ)
	}
	sg, _, err := loadStage(ctx, st, r.PathValue("restapi_id"), r.PathValue("stage_name"))
	if err != nil {
		return 0, nil, err
	}
	var d model.Deployment
	if _, err := st.get(ctx, wire.KeyDeployment(sg.APIID, sg.DeploymentID), &d); err != nil {
		if errors.Is(err, errNotFound) {
			return 0, nil, notFound("Invalid Deployment identifier specified")
		}
		return 0, nil, err
	}
	ext := false
	for _, e := range strings.Split(r.URL.Query().Get("extensions"), ",") {
		switch strings.TrimSpace(e) {
		case "apigateway", "integrations":
			ext = true
		}
	}
	doc, err := oasexport.Export(&d.API, sg.StageName, typ, ext)
	if err != nil {
		return 0, nil, err
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return 0, nil, err
	}
	out := rawBody{contentType: "application/json", data: data}
	name := d.API.Name + "-" + sg.StageName + "-" + typ
	if strings.Contains(r.Header.Get("Accept"), "yaml") {
		if out.data, err = yaml.JSONToYAML(data); err != nil {
			return 0, nil, err
		}
		out.contentType = "application/yaml"
		name += ".yaml"
	} else {
		name += ".json"
	}
	out.disposition = `attachment; filename="` + strings.NewReplacer(`"`, "", "\n", "", "\r", "").Replace(name) + `"`
	return http.StatusOK, out, nil
}
