package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/waf"
	"github.com/portico/portico/pkg/wire"
)

// AWS WAF's control plane (the wafv2 API) for web ACLs in front of REST API stages: the JSON 1.1
// protocol (POST / with X-Amz-Target: AWSWAF_20190729.<Operation>, SigV4 service "wafv2"),
// REGIONAL scope only. Web ACLs and IP sets live in the config bucket (wire.KeyWebACL,
// wire.KeyWAFIPSet); AssociateWebACL writes the ACL's ARN into the stage (model.Stage.WebACLArn),
// and every edge evaluates it (pkg/waf) before anything else.

const (
	wafTargetPrefix = "AWSWAF_20190729."
	wafContentType  = "application/x-amz-json-1.1"
	wafScope        = "REGIONAL"
	// maxWAFList bounds a listing page (AWS: Limit 1–100, default 100).
	maxWAFList = 100
)

// AWS's messages, verbatim (with their typographic apostrophes).
const (
	msgWAFNonexistent = "AWS WAF couldn’t perform the operation because your resource doesn’t exist."
	msgWAFDuplicate   = "AWS WAF couldn’t perform the operation because some resource in your request is a duplicate of an existing one."
	msgWAFLock        = "AWS WAF couldn’t save your changes because someone changed the resource after you started to edit it. Reapply your changes."
	msgWAFAssociated  = "AWS WAF couldn’t perform the operation because your resource is being used by another resource or it’s associated with another resource."
)

var (
	errWAFNonexistent = &apiError{http.StatusBadRequest, "WAFNonexistentItemException", msgWAFNonexistent}
	errWAFDuplicate   = &apiError{http.StatusBadRequest, "WAFDuplicateItemException", msgWAFDuplicate}
	errWAFLock        = &apiError{http.StatusBadRequest, "WAFOptimisticLockException", msgWAFLock}
	errWAFAssociated  = &apiError{http.StatusBadRequest, "WAFAssociatedItemException", msgWAFAssociated}
)

// wafInvalid is WAFInvalidParameterException with its Field, Parameter and Reason members.
func wafInvalid(field, parameter, reason string) error {
	ve := &waf.ValidationError{Field: field, Parameter: parameter, Reason: reason}
	return wafValidation(ve)
}

func wafValidation(ve *waf.ValidationError) error {
	return &wafParamError{&apiError{http.StatusBadRequest, "WAFInvalidParameterException", ve.Error()}, ve}
}

// wafParamError is WAFInvalidParameterException: the error and the members its body adds.
type wafParamError struct {
	*apiError
	ve *waf.ValidationError
}

func (e *wafParamError) Unwrap() error { return e.apiError }

// wafCall is one wafv2 operation's input.
type wafCall struct {
	region string
	body   []byte
}

type wafOp func(s *Service, ctx context.Context, st *store, c wafCall) (any, error)

var wafOps = map[string]wafOp{
	"CreateIPSet":            (*Service).wafCreateIPSet,
	"GetIPSet":               (*Service).wafGetIPSet,
	"UpdateIPSet":            (*Service).wafUpdateIPSet,
	"DeleteIPSet":            (*Service).wafDeleteIPSet,
	"ListIPSets":             (*Service).wafListIPSets,
	"CreateWebACL":           (*Service).wafCreateWebACL,
	"GetWebACL":              (*Service).wafGetWebACL,
	"UpdateWebACL":           (*Service).wafUpdateWebACL,
	"DeleteWebACL":           (*Service).wafDeleteWebACL,
	"ListWebACLs":            (*Service).wafListWebACLs,
	"AssociateWebACL":        (*Service).wafAssociate,
	"DisassociateWebACL":     (*Service).wafDisassociate,
	"GetWebACLForResource":   (*Service).wafGetWebACLForResource,
	"ListResourcesForWebACL": (*Service).wafListResources,
}

// isWAFRequest reports whether r is a wafv2 (JSON 1.1) call.
func isWAFRequest(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), wafTargetPrefix)
}

// wafv2 dispatches a JSON 1.1 call on its X-Amz-Target.
func (s *Service) wafv2(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	name, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), wafTargetPrefix)
	fn, ok := wafOps[name]
	if !ok {
		return 0, nil, &apiError{http.StatusBadRequest, "UnknownOperationException", ""}
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	out, err := fn(s, ctx, st, wafCall{region: signingRegion(r), body: body})
	if err != nil {
		return 0, nil, err
	}
	data, err := json.Marshal(out)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rawBody{contentType: wafContentType, data: data}, nil
}

// signingRegion is the region of the request's SigV4 credential scope ("us-east-1" when it has
// none): the region of the ARNs it creates.
func signingRegion(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if _, cred, ok := strings.Cut(auth, "Credential="); ok {
		parts := strings.SplitN(cred, "/", 5)
		if len(parts) == 5 && parts[2] != "" && validKeyToken(parts[2]) {
			return parts[2]
		}
	}
	return "us-east-1"
}

// decodeWAF decodes a call's input strictly enough to name the first bad member.
func decodeWAF(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "Unable to parse request body: " + err.Error()}
	}
	return nil
}

var wafNameRE = regexp.MustCompile(`^[\w\-]{1,128}$`)

// wafRef is the identity members every per-item call carries.
type wafRef struct {
	Name, Scope, Id, LockToken string
}

func (ref wafRef) check() error {
	if err := checkScope(ref.Scope); err != nil {
		return err
	}
	if !wafNameRE.MatchString(ref.Name) {
		return wafInvalid("NAME", ref.Name, "The name is not valid")
	}
	if !validWAFID(ref.Id) {
		return wafInvalid("RESOURCE_ID", ref.Id, "The resource id is not valid")
	}
	return nil
}

func checkScope(scope string) error {
	switch scope {
	case wafScope:
		return nil
	case "CLOUDFRONT":
		return wafInvalid("SCOPE_VALUE", scope, "Portico serves only REGIONAL web ACLs")
	}
	return wafInvalid("SCOPE_VALUE", scope, "Enum value is not valid")
}

var wafIDRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func validWAFID(id string) bool { return wafIDRE.MatchString(id) }

// newWAFID is a random UUID (version 4), as WAF's ids.
func newWAFID() string {
	b := []byte(randomString(32, "0123456789abcdef"))
	b[12] = '4'
	b[16] = "89ab"[strings.IndexByte("0123456789abcdef", b[16])%4]
	return string(b[0:8]) + "-" + string(b[8:12]) + "-" + string(b[12:16]) + "-" + string(b[16:20]) + "-" + string(b[20:32])
}

// lockToken is the LockToken of revision rev of the record id: a UUID-shaped digest, so a
// token from before any later write no longer matches.
func lockToken(id string, rev uint64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", id, rev))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func wafARN(region, kind, name, id string) string {
	return "arn:aws:wafv2:" + region + ":" + iamAccountForARN + ":regional/" + kind + "/" + name + "/" + id
}

// wafSummary is WAF's IPSetSummary / WebACLSummary.
type wafSummary struct {
	Name        string
	Id          string
	Description string `json:",omitempty"`
	LockToken   string
	ARN         string
}

// wafItem is what the generic record helpers need of an IP set or a web ACL.
type wafItem interface {
	waf.IPSet | waf.WebACL
}

func itemIdentity[T wafItem](v *T) (name, id, description, arn string) {
	switch x := any(v).(type) {
	case *waf.IPSet:
		return x.Name, x.Id, x.Description, x.ARN
	case *waf.WebACL:
		return x.Name, x.Id, x.Description, x.ARN
	}
	return "", "", "", ""
}

// loadWAF reads the record ref names, checking its name (AWS requires name and id to agree)
// and, when lock is set, its LockToken.
func loadWAF[T wafItem](ctx context.Context, st *store, key string, ref wafRef, lock bool) (*T, uint64, error) {
	if err := ref.check(); err != nil {
		return nil, 0, err
	}
	v, rev, err := read[T](ctx, st, key, errWAFNonexistent)
	if err != nil {
		return nil, 0, err
	}
	if name, _, _, _ := itemIdentity(v); name != ref.Name {
		return nil, 0, errWAFNonexistent
	}
	if lock && ref.LockToken != lockToken(ref.Id, rev) {
		return nil, 0, errWAFLock
	}
	return v, rev, nil
}

// listWAF lists the records under prefix, sorted by id.
func listWAF[T wafItem](ctx context.Context, st *store, prefix string) ([]*T, []uint64, error) {
	keys, err := st.keys(ctx, prefix+">")
	if err != nil {
		return nil, nil, err
	}
	var out []*T
	var revs []uint64
	for _, k := range keys {
		var v T
		rev, err := st.get(ctx, k, &v)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		out, revs = append(out, &v), append(revs, rev)
	}
	return out, revs, nil
}

// createWAF stores a new record after checking its name is unique in its kind.
func createWAF[T wafItem](ctx context.Context, st *store, prefix, key string, v *T) (wafSummary, error) {
	name, id, desc, arn := itemIdentity(v)
	all, _, err := listWAF[T](ctx, st, prefix)
	if err != nil {
		return wafSummary{}, err
	}
	for _, o := range all {
		if n, _, _, _ := itemIdentity(o); n == name {
			return wafSummary{}, errWAFDuplicate
		}
	}
	rev, err := st.create(ctx, key, v)
	if errors.Is(err, errConflict) {
		return wafSummary{}, errWAFDuplicate
	}
	if err != nil {
		return wafSummary{}, err
	}
	return wafSummary{Name: name, Id: id, Description: desc, LockToken: lockToken(id, rev), ARN: arn}, nil
}

// writeWAF writes an updated record at rev and returns the next LockToken.
func writeWAF(ctx context.Context, st *store, key, id string, v any, rev uint64) (any, error) {
	n, err := st.update(ctx, key, v, rev)
	if errors.Is(err, errConflict) {
		return nil, errWAFLock
	}
	if err != nil {
		return nil, err
	}
	return map[string]string{"NextLockToken": lockToken(id, n)}, nil
}

// deleteWAF removes a record at rev.
func deleteWAF(ctx context.Context, st *store, key string, rev uint64) (any, error) {
	err := st.remove(ctx, key, rev)
	if errors.Is(err, errConflict) {
		return nil, errWAFLock
	}
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// pageWAF cuts a listing at NextMarker (an id) and Limit.
func pageWAF(ids []string, marker string, limit int) (start, end int, next string, err error) {
	if limit == 0 {
		limit = maxWAFList
	}
	if limit < 1 || limit > maxWAFList {
		return 0, 0, "", wafInvalid("LIMIT", fmt.Sprint(limit), "The limit must be between 1 and 100")
	}
	if marker != "" {
		i, found := slices.BinarySearch(ids, marker)
		if !found {
			return 0, 0, "", wafInvalid("NEXT_MARKER", marker, "The marker is not valid")
		}
		start = i
	}
	end = min(start+limit, len(ids))
	if end < len(ids) {
		next = ids[end]
	}
	return start, end, next, nil
}

// --- IP sets ---

func (s *Service) wafCreateIPSet(ctx context.Context, st *store, c wafCall) (any, error) {
	var in struct {
		Name, Scope, Description, IPAddressVersion string
		Addresses                                  []string
		Tags                                       []json.RawMessage
	}
	if err := decodeWAF(c.body, &in); err != nil {
		return nil, err
	}
	if err := checkScope(in.Scope); err != nil {
		return nil, err
	}
	id := newWAFID()
	set := &waf.IPSet{Name: in.Name, Id: id, ARN: wafARN(c.region, "ipset", in.Name, id), Description: in.Description,
		IPAddressVersion: in.IPAddressVersion, Addresses: in.Addresses}
	if set.Addresses == nil {
		set.Addresses = []string{}
	}
	if err := validIPSet(set); err != nil {
		return nil, err
	}
	sum, err := createWAF(ctx, st, wire.KeyWAFIPSetsPrefix, wire.KeyWAFIPSet(id), set)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Summary": sum}, nil
}

func validIPSet(set *waf.IPSet) error {
	if err := set.Validate(); err != nil {
		return asWAFError(err)
	}
	return nil
}

// asWAFError turns pkg/waf's validation errors into WAFInvalidParameterException.
func asWAFError(err error) error {
	var ve *waf.ValidationError
	if errors.As(err, &ve) {
		return wafValidation(ve)
	}
	return wafInvalid("", "", err.Error())
}

func (s *Service) wafGetIPSet(ctx context.Context, st *store, c wafCall) (any, error) {
	var ref wafRef
	if err := decodeWAF(c.body, &ref); err != nil {
		return nil, err
	}
	set, rev, err := loadWAF[waf.IPSet](ctx, st, wire.KeyWAFIPSet(ref.Id), ref, false)
	if err != nil {
		return nil, err
	}
	return map[string]any{"IPSet": set, "LockToken": lockToken(set.Id, rev)}, nil
}

func (s *Service) wafUpdateIPSet(ctx context.Context, st *store, c wafCall) (any, error) {
	var in struct {
		wafRef
		Description *string
		Addresses   []string
	}
	if err := decodeWAF(c.body, &in); err != nil {
		return nil, err
	}
	key := wire.KeyWAFIPSet(in.Id)
	set, rev, err := loadWAF[waf.IPSet](ctx, st, key, in.wafRef, true)
	if err != nil {
		return nil, err
	}
	if in.Addresses == nil {
		return nil, wafInvalid("IP_ADDRESS", "", "Addresses is required")
	}
	set.Addresses = in.Addresses
	if in.Description != nil {
		set.Description = *in.Description
	}
	if err := validIPSet(set); err != nil {
		return nil, err
	}
	return writeWAF(ctx, st, key, set.Id, set, rev)
}

func (s *Service) wafDeleteIPSet(ctx context.Context, st *store, c wafCall) (any, error) {
	var ref wafRef
	if err := decodeWAF(c.body, &ref); err != nil {
		return nil, err
	}
	key := wire.KeyWAFIPSet(ref.Id)
	set, rev, err := loadWAF[waf.IPSet](ctx, st, key, ref, true)
	if err != nil {
		return nil, err
	}
	acls, _, err := listWAF[waf.WebACL](ctx, st, wire.KeyWebACLsPrefix)
	if err != nil {
		return nil, err
	}
	for _, a := range acls {
		if slices.Contains(a.IPSetARNs(), set.ARN) {
			return nil, errWAFAssociated
		}
	}
	return deleteWAF(ctx, st, key, rev)
}

func (s *Service) wafListIPSets(ctx context.Context, st *store, c wafCall) (any, error) {
	return wafList[waf.IPSet](ctx, st, c, wire.KeyWAFIPSetsPrefix, "IPSets")
}

func (s *Service) wafListWebACLs(ctx context.Context, st *store, c wafCall) (any, error) {
	return wafList[waf.WebACL](ctx, st, c, wire.KeyWebACLsPrefix, "WebACLs")
}

// wafList is ListIPSets / ListWebACLs: summaries, a page at a time.
func wafList[T wafItem](ctx context.Context, st *store, c wafCall, prefix, member string) (any, error) {
	var in struct {
		Scope      string
		NextMarker string
		Limit      int
	}
	if err := decodeWAF(c.body, &in); err != nil {
		return nil, err
	}
	if err := checkScope(in.Scope); err != nil {
		return nil, err
	}
	items, revs, err := listWAF[T](ctx, st, prefix)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(items))
	for i, v := range items {
		_, ids[i], _, _ = itemIdentity(v)
	}
	start, end, next, err := pageWAF(ids, in.NextMarker, in.Limit)
	if err != nil {
		return nil, err
	}
	sums := make([]wafSummary, 0, end-start)
	for i := start; i < end; i++ {
		name, id, desc, arn := itemIdentity(items[i])
		sums = append(sums, wafSummary{Name: name, Id: id, Description: desc, LockToken: lockToken(id, revs[i]), ARN: arn})
	}
	out := map[string]any{member: sums}
	if next != "" {
		out["NextMarker"] = next
	}
	return out, nil
}

// --- web ACLs ---

// webACLInput is what CreateWebACL and UpdateWebACL carry.
type webACLInput struct {
	wafRef
	Description          *string
	DefaultAction        waf.DefaultAction
	Rules                []waf.Rule
	VisibilityConfig     *waf.VisibilityConfig
	CustomResponseBodies map[string]waf.CustomResponseBody
	Tags                 []json.RawMessage
}

// checkWebACL validates an ACL and that every IP set it references exists.
func checkWebACL(ctx context.Context, st *store, a *waf.WebACL) error {
	if a.VisibilityConfig == nil {
		return wafInvalid("VISIBILITY_CONFIG", "", "VisibilityConfig is required")
	}
	if err := a.Validate(); err != nil {
		return asWAFError(err)
	}
	for _, arn := range a.IPSetARNs() {
		id := arn[strings.LastIndexByte(arn, '/')+1:]
		var set waf.IPSet
		if !validWAFID(id) {
			return errWAFNonexistent
		}
		if _, err := st.get(ctx, wire.KeyWAFIPSet(id), &set); err != nil || set.ARN != arn {
			if err != nil && !errors.Is(err, errNotFound) {
				return err
			}
			return errWAFNonexistent
		}
	}
	a.Capacity = a.ComputeCapacity()
	return nil
}

func (s *Service) wafCreateWebACL(ctx context.Context, st *store, c wafCall) (any, error) {
	var in webACLInput
	if err := decodeWAF(c.body, &in); err != nil {
		return nil, err
	}
	if err := checkScope(in.Scope); err != nil {
		return nil, err
	}
	if !wafNameRE.MatchString(in.Name) {
		return nil, wafInvalid("NAME", in.Name, "The name is not valid")
	}
	id := newWAFID()
	a := &waf.WebACL{Name: in.Name, Id: id, ARN: wafARN(c.region, "webacl", in.Name, id),
		DefaultAction: in.DefaultAction, Rules: in.Rules, VisibilityConfig: in.VisibilityConfig,
		CustomResponseBodies: in.CustomResponseBodies,
		LabelNamespace:       "awswaf:" + iamAccountForARN + ":webacl:" + in.Name + ":"}
	if in.Description != nil {
		a.Description = *in.Description
	}
	if err := checkWebACL(ctx, st, a); err != nil {
		return nil, err
	}
	sum, err := createWAF(ctx, st, wire.KeyWebACLsPrefix, wire.KeyWebACL(id), a)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Summary": sum}, nil
}

func (s *Service) wafGetWebACL(ctx context.Context, st *store, c wafCall) (any, error) {
	var in struct {
		wafRef
		ARN string
	}
	if err := decodeWAF(c.body, &in); err != nil {
		return nil, err
	}
	if in.ARN != "" {
		// GetWebACL by ARN alone: arn:aws:wafv2:{region}:{account}:regional/webacl/{name}/{id}
		parts := strings.Split(in.ARN, "/")
		if len(parts) != 4 || !strings.HasPrefix(in.ARN, "arn:aws:wafv2:") || !strings.HasSuffix(parts[0], ":regional") || parts[1] != "webacl" {
			return nil, wafInvalid("RESOURCE_ARN", in.ARN, "The ARN isn't valid")
		}
		in.wafRef = wafRef{Name: parts[2], Scope: wafScope, Id: parts[3]}
	}
	a, rev, err := loadWAF[waf.WebACL](ctx, st, wire.KeyWebACL(in.Id), in.wafRef, false)
	if err != nil {
		return nil, err
	}
	return map[string]any{"WebACL": a, "LockToken": lockToken(a.Id, rev)}, nil
}

func (s *Service) wafUpdateWebACL(ctx context.Context, st *store, c wafCall) (any, error) {
	var in webACLInput
	if err := decodeWAF(c.body, &in); err != nil {
		return nil, err
	}
	key := wire.KeyWebACL(in.Id)
	a, rev, err := loadWAF[waf.WebACL](ctx, st, key, in.wafRef, true)
	if err != nil {
		return nil, err
	}
	a.DefaultAction, a.Rules, a.VisibilityConfig, a.CustomResponseBodies = in.DefaultAction, in.Rules, in.VisibilityConfig, in.CustomResponseBodies
	if in.Description != nil {
		a.Description = *in.Description
	}
	if err := checkWebACL(ctx, st, a); err != nil {
		return nil, err
	}
	return writeWAF(ctx, st, key, a.Id, a, rev)
}

func (s *Service) wafDeleteWebACL(ctx context.Context, st *store, c wafCall) (any, error) {
	var ref wafRef
	if err := decodeWAF(c.body, &ref); err != nil {
		return nil, err
	}
	key := wire.KeyWebACL(ref.Id)
	a, rev, err := loadWAF[waf.WebACL](ctx, st, key, ref, true)
	if err != nil {
		return nil, err
	}
	stages, err := associatedStages(ctx, st, a.ARN)
	if err != nil {
		return nil, err
	}
	if len(stages) > 0 {
		return nil, errWAFAssociated
	}
	return deleteWAF(ctx, st, key, rev)
}

// --- associations ---

// stageARN is the ARN of a REST API stage as WAF names it.
func stageARN(region, apiID, stage string) string {
	return "arn:aws:apigateway:" + region + "::/restapis/" + apiID + "/stages/" + stage
}

// parseStageARN reads arn:aws:apigateway:{region}::/restapis/{api}/stages/{stage}. HTTP and
// WebSocket API stages (/apis/…) cannot have a web ACL, as in AWS.
func parseStageARN(arn string) (region, apiID, stage string, err error) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:apigateway:")
	if ok {
		var path string
		region, path, ok = strings.Cut(rest, "::/restapis/")
		if ok {
			apiID, stage, ok = strings.Cut(path, "/stages/")
		}
	}
	if !ok || !validKeyToken(region) || !validKeyToken(apiID) || !validStageName(stage) {
		return "", "", "", wafInvalid("RESOURCE_ARN", arn, "The ARN isn't valid. A valid ARN begins with arn: and includes other information separated by colons or slashes.")
	}
	return region, apiID, stage, nil
}

// associatedStages lists the ARNs of the REST API stages associated with the web ACL webACLARN.
func associatedStages(ctx context.Context, st *store, webACLARN string) ([]string, error) {
	keys, err := st.keys(ctx, wire.KeyStagesPrefix+">")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range keys {
		var sg model.Stage
		if _, err := st.get(ctx, k, &sg); err != nil {
			if errors.Is(err, errNotFound) {
				continue
			}
			return nil, err
		}
		if sg.WebACLArn == webACLARN {
			out = append(out, stageARN(regionOfARN(webACLARN), sg.APIID, sg.StageName))
		}
	}
	return out, nil
}

func regionOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// setStageWebACL writes arn (or "" to disassociate) into the stage resourceARN names.
func setStageWebACL(ctx context.Context, st *store, resourceARN, arn string) error {
	_, apiID, stage, err := parseStageARN(resourceARN)
	if err != nil {
		return err
	}
	sg, rev, err := loadStage(ctx, st, apiID, stage)
	if err != nil {
		return errWAFNonexistent
	}
	if arn != "" {
		// AWS WAF protects REST APIs only: an HTTP or WebSocket API's stage is not a resource.
		api, _, err := loadAPI(ctx, st, apiID)
		if err != nil {
			return errWAFNonexistent
		}
		if api.Protocol != "" && api.Protocol != model.ProtocolREST {
			return wafInvalid("RESOURCE_ARN", resourceARN, "The ARN isn't valid. A valid ARN begins with arn: and includes other information separated by colons or slashes.")
		}
	}
	if sg.WebACLArn == arn {
		return nil
	}
	sg.WebACLArn = arn
	if _, err := st.update(ctx, wire.KeyStage(apiID, stage), sg, rev); err != nil {
		if errors.Is(err, errConflict) {
			return &apiError{http.StatusBadRequest, "WAFUnavailableEntityException",
				"AWS WAF couldn’t retrieve the resource that you requested. Retry your request."}
		}
		return err
	}
	return nil
}

func (s *Service) wafAssociate(ctx context.Context, st *store, c wafCall) (any, error) {
	var in struct{ WebACLArn, ResourceArn string }
	if err := decodeWAF(c.body, &in); err != nil {
		return nil, err
	}
	if _, _, _, err := parseStageARN(in.ResourceArn); err != nil {
		return nil, err
	}
	parts := strings.Split(in.WebACLArn, "/")
	if len(parts) != 4 || parts[1] != "webacl" {
		return nil, wafInvalid("RESOURCE_ARN", in.WebACLArn, "The ARN isn't valid. A valid ARN begins with arn: and includes other information separated by colons or slashes.")
	}
	if _, _, err := loadWAF[waf.WebACL](ctx, st, wire.KeyWebACL(parts[3]),
		wafRef{Name: parts[2], Scope: wafScope, Id: parts[3]}, false); err != nil {
		return nil, err
	}
	if err := setStageWebACL(ctx, st, in.ResourceArn, in.WebACLArn); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) wafDisassociate(ctx context.Context, st *store, c wafCall) (any, error) {
	var in struct{ ResourceArn string }
	if err := decodeWAF(c.body, &in); err != nil {
		return nil, err
	}
	if err := setStageWebACL(ctx, st, in.ResourceArn, ""); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) wafGetWebACLForResource(ctx context.Context, st *store, c wafCall) (any, error) {
	var in struct{ ResourceArn string }
	if err := decodeWAF(c.body, &in); err != nil {
		return nil, err
	}
	_, apiID, stage, err := parseStageARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	sg, _, err := loadStage(ctx, st, apiID, stage)
	if err != nil {
		return nil, errWAFNonexistent
	}
	if sg.WebACLArn == "" {
		return struct{}{}, nil
	}
	id := sg.WebACLArn[strings.LastIndexByte(sg.WebACLArn, '/')+1:]
	var a waf.WebACL
	if _, err := st.get(ctx, wire.KeyWebACL(id), &a); err != nil {
		if errors.Is(err, errNotFound) {
			return struct{}{}, nil
		}
		return nil, err
	}
	return map[string]any{"WebACL": &a}, nil
}

func (s *Service) wafListResources(ctx context.Context, st *store, c wafCall) (any, error) {
	var in struct{ WebACLArn, ResourceType string }
	if err := decodeWAF(c.body, &in); err != nil {
		return nil, err
	}
	parts := strings.Split(in.WebACLArn, "/")
	if len(parts) != 4 || parts[1] != "webacl" || !validWAFID(parts[3]) {
		return nil, wafInvalid("RESOURCE_ARN", in.WebACLArn, "The ARN isn't valid. A valid ARN begins with arn: and includes other information separated by colons or slashes.")
	}
	var a waf.WebACL
	if _, err := st.get(ctx, wire.KeyWebACL(parts[3]), &a); err != nil {
		if errors.Is(err, errNotFound) {
			return nil, errWAFNonexistent
		}
		return nil, err
	}
	arns := []string{}
	switch in.ResourceType {
	case "API_GATEWAY":
		found, err := associatedStages(ctx, st, a.ARN)
		if err != nil {
			return nil, err
		}
		arns = append(arns, found...)
	case "", "APPLICATION_LOAD_BALANCER", "APPSYNC", "COGNITO_USER_POOL", "APP_RUNNER_SERVICE", "VERIFIED_ACCESS_INSTANCE", "AMPLIFY":
		// AWS's default resource type is APPLICATION_LOAD_BALANCER; Portico fronts none of these.
	default:
		return nil, wafInvalid("RESOURCE_TYPE", in.ResourceType, "Enum value is not valid")
	}
	return map[string]any{"ResourceArns": arns}, nil
}
