package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// IAM users are Portico's own control-plane resource (AWS manages them in IAM, not API
// Gateway): access keys and their execute-api policies, which authz serves to the edges for
// AWS_IAM routes and @connections. The secret is shown once, when the user is created.
const (
	iamAccessKeyLen  = 20
	iamSecretLen     = 40
	iamAccessChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	iamSecretChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	maxIAMPolicies   = 10
	iamAccountForARN = "000000000000"
)

var iamUserName = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)

// iamUserView is an IAM user as admin shows it (never the secret, except at creation).
type iamUserView struct {
	UserName        string            `json:"userName"`
	UserARN         string            `json:"userArn"`
	AccessKeyID     string            `json:"accessKeyId"`
	SecretAccessKey string            `json:"secretAccessKey,omitempty"`
	Disabled        bool              `json:"disabled,omitempty"`
	Policies        []json.RawMessage `json:"policies,omitempty"`
}

func viewIAMUser(c *model.IAMCredential) iamUserView {
	return iamUserView{UserName: c.UserName, UserARN: c.UserARN, AccessKeyID: c.AccessKeyID, Disabled: c.Disabled, Policies: c.Policies}
}

// checkPolicies refuses policies authz could not evaluate.
func checkPolicies(ps []json.RawMessage) error {
	if len(ps) > maxIAMPolicies {
		return badRequest("too many policies: at most %d", maxIAMPolicies)
	}
	for i, p := range ps {
		if _, err := iampolicy.Parse(p); err != nil {
			return badRequest("policies[%d]: %v", i, err)
		}
	}
	return nil
}

// createIAMUser: POST /portico/iam/users {"userName", "policies": [policy documents]}.
func (s *Service) createIAMUser(ctx context.Context, st *store, _ *http.Request, body []byte) (int, any, error) {
	var in struct {
		UserName string            `json:"userName"`
		Policies []json.RawMessage `json:"policies"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if !iamUserName.MatchString(in.UserName) {
		return 0, nil, badRequest("Invalid userName %q: 1-64 of A-Z a-z 0-9 +=,.@_-", in.UserName)
	}
	if err := checkPolicies(in.Policies); err != nil {
		return 0, nil, err
	}
	c := model.IAMCredential{
		AccessKeyID:     "AKIA" + randomString(iamAccessKeyLen-4, iamAccessChars),
		SecretAccessKey: randomString(iamSecretLen, iamSecretChars),
		UserName:        in.UserName,
		UserARN:         "arn:aws:iam::" + iamAccountForARN + ":user/" + in.UserName,
		Policies:        in.Policies,
	}
	if _, err := st.create(ctx, wire.KeyIAMUser(c.AccessKeyID), &c); err != nil {
		return 0, nil, storeErr(err, "IAM user")
	}
	v := viewIAMUser(&c)
	v.SecretAccessKey = c.SecretAccessKey
	return http.StatusCreated, v, nil
}

// getIAMUsers: GET /portico/iam/users.
func (s *Service) getIAMUsers(ctx context.Context, st *store, _ *http.Request, _ []byte) (int, any, error) {
	keys, err := st.keys(ctx, wire.KeyIAMUsersPrefix+">")
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Items []iamUserView `json:"items"`
	}{Items: []iamUserView{}}
	for _, k := range keys {
		var c model.IAMCredential
		if _, err := st.get(ctx, k, &c); err != nil {
			if errors.Is(err, errNotFound) {
				continue
			}
			return 0, nil, err
		}
		out.Items = append(out.Items, viewIAMUser(&c))
	}
	return http.StatusOK, out, nil
}

func loadIAMUser(ctx context.Context, st *store, id string) (*model.IAMCredential, uint64, error) {
	if id == "" || strings.ContainsAny(id, ".*> ") {
		return nil, 0, notFound("Invalid access key id specified")
	}
	var c model.IAMCredential
	rev, err := st.get(ctx, wire.KeyIAMUser(id), &c)
	if errors.Is(err, errNotFound) {
		return nil, 0, notFound("Invalid access key id specified")
	}
	return &c, rev, err
}

// updateIAMUser: PATCH /portico/iam/users/{access_key_id} {"policies": [...], "disabled": bool}.
func (s *Service) updateIAMUser(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	c, rev, err := loadIAMUser(ctx, st, r.PathValue("access_key_id"))
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Policies *[]json.RawMessage `json:"policies"`
		Disabled *bool              `json:"disabled"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if in.Policies != nil {
		if err := checkPolicies(*in.Policies); err != nil {
			return 0, nil, err
		}
		c.Policies = *in.Policies
	}
	if in.Disabled != nil {
		c.Disabled = *in.Disabled
	}
	if _, err := st.update(ctx, wire.KeyIAMUser(c.AccessKeyID), c, rev); err != nil {
		return 0, nil, storeErr(err, "IAM user")
	}
	return http.StatusOK, viewIAMUser(c), nil
}

// deleteIAMUser: DELETE /portico/iam/users/{access_key_id}.
func (s *Service) deleteIAMUser(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	c, rev, err := loadIAMUser(ctx, st, r.PathValue("access_key_id"))
	if err != nil {
		return 0, nil, err
	}
	if err := st.remove(ctx, wire.KeyIAMUser(c.AccessKeyID), rev); err != nil {
		return 0, nil, storeErr(err, "IAM user")
	}
	return http.StatusNoContent, nil, nil
}
