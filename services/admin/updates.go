package admin

import (
	"context"
	"net/http"
	"strings"

	"github.com/portico/portico/pkg/model"
)

// update-api (apigatewayv2) and update-deployment (both protocols): the fields AWS lets
// change on an API and on a deployment (only its description: a deployment's snapshot is
// immutable).

func (s *Service) updateV2API(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		Name                     *string `json:"name"`
		Description              *string `json:"description"`
		Version                  *string `json:"version"`
		RouteSelectionExpression *string `json:"routeSelectionExpression"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	a, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		if in.Name != nil {
			if *in.Name == "" || len(*in.Name) > 128 {
				return badRequest("name must be 1 to 128 characters")
			}
			a.Name = *in.Name
		}
		if in.Description != nil {
			if len(*in.Description) > 1024 {
				return badRequest("description is longer than 1024 characters")
			}
			a.Description = *in.Description
		}
		if in.Version != nil {
			a.Version = *in.Version
		}
		if rse := in.RouteSelectionExpression; rse != nil {
			switch a.Protocol {
			case model.ProtocolHTTP:
				if *rse != defaultHTTPRSE {
					return badRequest("An HTTP API's routeSelectionExpression must be %s", defaultHTTPRSE)
				}
			default:
				if !strings.HasPrefix(*rse, "$request.body.") && !strings.HasPrefix(*rse, "${request.body.") {
					return badRequest("A WEBSOCKET API needs a routeSelectionExpression like $request.body.action")
				}
			}
			a.RouteSelectionExpression = *rse
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.viewV2API(a), nil
}

// updateDeploymentDescription rewrites a deployment's description (and nothing else) with a
// revision check.
func updateDeploymentDescription(ctx context.Context, st *store, apiID, id string, desc *string) (*model.Deployment, error) {
	key := deploymentKey(apiID, id)
	if desc == nil {
		d, _, err := read[model.Deployment](ctx, st, key, errNoDeployment())
		return d, err
	}
	return update(ctx, st, key, "deployment", errNoDeployment(), func(d *model.Deployment) error {
		if len(*desc) > maxDescLen {
			return badRequest("description is longer than %d characters", maxDescLen)
		}
		d.Description = *desc
		return nil
	})
}

func (s *Service) updateDeployment(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	var desc *string
	for _, p := range ops {
		if p.Path != "/description" || p.Op != "replace" {
			return 0, nil, invalidPatchPath(p)
		}
		v := p.Value
		desc = &v
	}
	d, err := updateDeploymentDescription(ctx, st, r.PathValue("restapi_id"), r.PathValue("deployment_id"), desc)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewDeployment(d), nil
}

func (s *Service) updateV2Deployment(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		Description *string `json:"description"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if _, _, err := loadV2API(ctx, st, r.PathValue("api_id")); err != nil {
		return 0, nil, err
	}
	d, err := updateDeploymentDescription(ctx, st, r.PathValue("api_id"), r.PathValue("deployment_id"), in.Description)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v2DeploymentView{DeploymentID: d.ID, DeploymentStatus: "DEPLOYED", Description: d.Description,
		CreatedDate: d.CreatedDate, AutoDeployed: d.AutoDeployed}, nil
}
