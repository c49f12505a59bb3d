package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// TestStageBeforeDeployment: a stage that points at a deployment not yet in the bucket (written
// out of order, or read before it replicated) is served as soon as the deployment appears.
func TestStageBeforeDeployment(t *testing.T) {
	h := newHarness(t)
	api := restAPI("ooo0000001", resource("/hello", map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
		MethodIntegration: &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"late":true}`}}}}}}))
	st := model.Stage{APIID: api.ID, StageName: "s", DeploymentID: "later"}
	put := func(key string, v any) {
		b, _ := json.Marshal(v)
		if _, err := h.kv.Put(context.Background(), key, b); err != nil {
			t.Fatal(err)
		}
	}
	put(wire.KeyStage(api.ID, "s"), st)
	expectResp(t, "GET before the deployment exists", h.do("GET", restPath(api.ID, "s", "/hello"), ""), 403, `{"message":"Missing Authentication Token"}`)
	put(wire.KeyDeployment(api.ID, "later"), model.Deployment{ID: "later", APIID: api.ID, API: api})
	natstest.Eventually(t, 10*time.Second, func() error {
		if r := h.do("GET", restPath(api.ID, "s", "/hello"), ""); r.status != 200 || r.body != `{"late":true}` {
			return fmt.Errorf("GET /hello = %d %s", r.status, r.body)
		}
		return nil
	})
	// a deleted stage is no longer served
	if err := h.kv.Delete(context.Background(), wire.KeyStage(api.ID, "s")); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		if r := h.do("GET", restPath(api.ID, "s", "/hello"), ""); r.status != 403 {
			return fmt.Errorf("GET /hello after delete = %d %s", r.status, r.body)
		}
		return nil
	})
}
