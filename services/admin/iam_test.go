package admin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

func TestIAMUsers(t *testing.T) {
	e := newEnv(t)
	policy := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`)
	var u iamUserView
	e.must(t, http.StatusCreated, "POST", "/portico/iam/users", map[string]any{"userName": "alice", "policies": []json.RawMessage{policy}}).json(t, &u)
	if !strings.HasPrefix(u.AccessKeyID, "AKIA") || len(u.SecretAccessKey) != iamSecretLen || u.UserARN != "arn:aws:iam::000000000000:user/alice" {
		t.Fatalf("create-user = %+v", u)
	}
	en, ok := e.raw(t, wire.KeyIAMUser(u.AccessKeyID))
	var stored model.IAMCredential
	if !ok || json.Unmarshal(en.Value(), &stored) != nil || stored.SecretAccessKey != u.SecretAccessKey || len(stored.Policies) != 1 {
		t.Fatalf("stored record = %+v (found %v)", stored, ok)
	}
	var list struct{ Items []iamUserView }
	e.must(t, http.StatusOK, "GET", "/portico/iam/users", nil).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].SecretAccessKey != "" {
		t.Errorf("list = %+v, want one user and no secret", list)
	}
	e.must(t, http.StatusOK, "PATCH", "/portico/iam/users/"+u.AccessKeyID, map[string]any{"disabled": true})
	before := len(e.keys(t))
	for _, bad := range []map[string]any{
		{"userName": "bad name!"},
		{"userName": "bob", "policies": []json.RawMessage{json.RawMessage(`{"Statement":[{"Effect":"Maybe"}]}`)}},
	} {
		if r := e.do(t, "POST", "/portico/iam/users", bad); r.status != http.StatusBadRequest {
			t.Errorf("create-user %v = %d %s, want 400", bad, r.status, r.body)
		}
	}
	if after := len(e.keys(t)); after != before {
		t.Errorf("bad input stored something: %d keys → %d", before, after)
	}
	e.must(t, http.StatusNoContent, "DELETE", "/portico/iam/users/"+u.AccessKeyID, nil)
	e.must(t, http.StatusNotFound, "DELETE", "/portico/iam/users/"+u.AccessKeyID, nil)
}
