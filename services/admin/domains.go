package admin

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// Custom domain names with base path mappings (apigateway) and API mappings (apigatewayv2):
// one record per domain name, holding its mappings, at wire.KeyDomainName.

const (
	maxMappings    = 200
	maxBasePathLen = 256
	nonePath       = "(none)"
)

var (
	domainNameRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	basePathRE   = regexp.MustCompile(`^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$`)
)

func validDomainName(name string) bool { return len(name) <= 253 && domainNameRE.MatchString(name) }

// domainKey is a domain name's key ("" for a name that cannot be one).
func domainKey(name string) string {
	name = strings.ToLower(name)
	if !validDomainName(name) {
		return ""
	}
	return wire.KeyDomainName(name)
}

func errNoDomain() error { return notFound("Invalid domain name identifier specified") }

func loadDomain(ctx context.Context, st *store, name string) (*model.DomainName, uint64, error) {
	return read[model.DomainName](ctx, st, domainKey(name), errNoDomain())
}

// mutateDomain applies fn to a domain name and writes it back with a revision check.
func mutateDomain(ctx context.Context, st *store, name string, fn func(*model.DomainName) error) (*model.DomainName, error) {
	return update(ctx, st, domainKey(name), "domain name", errNoDomain(), fn)
}

type domainNameView struct {
	DomainName            string            `json:"domainName"`
	CertificateARN        string            `json:"certificateArn,omitempty"`
	RegionalDomainName    string            `json:"regionalDomainName"`
	DomainNameStatus      string            `json:"domainNameStatus"`
	EndpointConfiguration endpointConfig    `json:"endpointConfiguration"`
	SecurityPolicy        string            `json:"securityPolicy,omitempty"`
	Tags                  map[string]string `json:"tags,omitempty"`
}

func (s *Service) viewDomain(d *model.DomainName) domainNameView {
	v := domainNameView{DomainName: d.DomainName, CertificateARN: d.CertificateARN, DomainNameStatus: "AVAILABLE",
		EndpointConfiguration: endpointConfig{Types: []string{d.EndpointType}}, SecurityPolicy: d.SecurityPolicy, Tags: d.Tags,
		RegionalDomainName: d.DomainName}
	return v
}

// newDomain validates and stores a domain name (shared by both protocols).
func newDomain(ctx context.Context, st *store, d *model.DomainName) error {
	d.DomainName = strings.ToLower(d.DomainName)
	if !validDomainName(d.DomainName) {
		return badRequest("Invalid domain name %q (wildcard names are not supported)", d.DomainName)
	}
	switch d.EndpointType {
	case "":
		d.EndpointType = "REGIONAL"
	case "REGIONAL", "EDGE":
	default:
		return badRequest("Invalid endpoint type %q: REGIONAL or EDGE", d.EndpointType)
	}
	switch d.SecurityPolicy {
	case "", "TLS_1_0", "TLS_1_2":
	default:
		return badRequest("Invalid securityPolicy %q: TLS_1_0 or TLS_1_2", d.SecurityPolicy)
	}
	d.CreatedDate = time.Now().UTC()
	if _, err := st.create(ctx, wire.KeyDomainName(d.DomainName), d); err != nil {
		if errors.Is(err, errConflict) {
			return conflict("The domain name you provided already exists: %s", d.DomainName)
		}
		return err
	}
	return nil
}

func (s *Service) createDomainName(ctx context.Context, st *store, _ *http.Request, body []byte) (int, any, error) {
	var in struct {
		DomainName             string            `json:"domainName"`
		CertificateARN         string            `json:"certificateArn"`
		RegionalCertificateARN string            `json:"regionalCertificateArn"`
		SecurityPolicy         string            `json:"securityPolicy"`
		Tags                   map[string]string `json:"tags"`
		EndpointConfiguration  *struct {
			Types []string `json:"types"`
		} `json:"endpointConfiguration"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	d := model.DomainName{DomainName: in.DomainName, CertificateARN: in.RegionalCertificateARN, SecurityPolicy: in.SecurityPolicy, Tags: in.Tags}
	if d.CertificateARN == "" {
		d.CertificateARN = in.CertificateARN
	}
	if ec := in.EndpointConfiguration; ec != nil && len(ec.Types) > 0 {
		d.EndpointType = ec.Types[0]
	}
	if err := newDomain(ctx, st, &d); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, s.viewDomain(&d), nil
}

// listDomains reads every domain name (bounded by maxList).
func listDomains(ctx context.Context, st *store) ([]model.DomainName, error) {
	return readAll[model.DomainName](ctx, st, wire.KeyDomainNamesPrefix+">")
}

func (s *Service) getDomainNames(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	ds, err := listDomains(ctx, st)
	if err != nil {
		return 0, nil, err
	}
	views := make([]domainNameView, 0, len(ds))
	for i := range ds {
		views = append(views, s.viewDomain(&ds[i]))
	}
	return http.StatusOK, page(r, views), nil
}

func (s *Service) getDomainName(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	d, _, err := loadDomain(ctx, st, r.PathValue("domain_name"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.viewDomain(d), nil
}

func (s *Service) updateDomainName(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	d, err := mutateDomain(ctx, st, r.PathValue("domain_name"), func(d *model.DomainName) error {
		if err := applyPatch(ops, func(p patchOp) error {
			switch p.Path {
			case "/certificateArn", "/regionalCertificateArn":
				return patchString(p, &d.CertificateARN)
			case "/securityPolicy":
				return patchString(p, &d.SecurityPolicy)
			}
			return invalidPatchPath(p)
		}); err != nil {
			return err
		}
		switch d.SecurityPolicy {
		case "", "TLS_1_0", "TLS_1_2":
			return nil
		}
		return badRequest("Invalid securityPolicy %q: TLS_1_0 or TLS_1_2", d.SecurityPolicy)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.viewDomain(d), nil
}

func (s *Service) deleteDomainName(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	d, rev, err := loadDomain(ctx, st, r.PathValue("domain_name"))
	if err != nil {
		return 0, nil, err
	}
	if err := st.remove(ctx, wire.KeyDomainName(d.DomainName), rev); err != nil {
		return 0, nil, storeErr(err, "domain name")
	}
	status := http.StatusAccepted
	if strings.HasPrefix(r.URL.Path, "/v2/") {
		status = http.StatusNoContent
	}
	return status, nil, nil
}

// checkMapping validates a mapping against the domain's others and the stage it names.
func checkMapping(ctx context.Context, st *store, d *model.DomainName, m *model.BasePathMapping) error {
	if m.BasePath == nonePath {
		m.BasePath = ""
	}
	m.BasePath = strings.Trim(m.BasePath, "/")
	if m.BasePath != "" && (len(m.BasePath) > maxBasePathLen || !basePathRE.MatchString(m.BasePath)) {
		return badRequest("Invalid base path %q", m.BasePath)
	}
	for _, o := range d.Mappings {
		if o.ID != m.ID && o.BasePath == m.BasePath {
			return conflict("Base path already exists for this domain name: %s", orNone(m.BasePath))
		}
	}
	if len(d.Mappings) >= maxMappings {
		return badRequest("too many mappings: at most %d", maxMappings)
	}
	if _, _, err := loadAPI(ctx, st, m.APIID); err != nil {
		return badRequest("Invalid REST API identifier specified: %s", m.APIID)
	}
	if m.Stage != "" {
		if _, _, err := loadStage(ctx, st, m.APIID, m.Stage); err != nil {
			return badRequest("Invalid stage identifier specified: %s", m.Stage)
		}
	}
	return nil
}

// addMapping checks m and appends it to the domain's mappings.
func addMapping(ctx context.Context, st *store, domain string, m *model.BasePathMapping) error {
	_, err := mutateDomain(ctx, st, domain, func(d *model.DomainName) error {
		if err := checkMapping(ctx, st, d, m); err != nil {
			return err
		}
		d.Mappings = append(d.Mappings, *m)
		return nil
	})
	return err
}

// replaceMapping checks m against the domain's other mappings and puts it at i.
func replaceMapping(ctx context.Context, st *store, d *model.DomainName, i int, m *model.BasePathMapping) error {
	others := *d
	others.Mappings = slices.Delete(slices.Clone(d.Mappings), i, i+1)
	if err := checkMapping(ctx, st, &others, m); err != nil {
		return err
	}
	d.Mappings[i] = *m
	return nil
}

// deleteMapping removes the mapping find picks out.
func deleteMapping(ctx context.Context, st *store, domain string, find func(*model.DomainName) (int, error)) error {
	_, err := mutateDomain(ctx, st, domain, func(d *model.DomainName) error {
		i, err := find(d)
		if err != nil {
			return err
		}
		d.Mappings = slices.Delete(d.Mappings, i, i+1)
		return nil
	})
	return err
}

func orNone(p string) string {
	if p == "" {
		return nonePath
	}
	return p
}

type basePathMappingView struct {
	BasePath  string `json:"basePath"`
	RestAPIID string `json:"restApiId"`
	Stage     string `json:"stage,omitempty"`
}

func viewBasePathMapping(m *model.BasePathMapping) basePathMappingView {
	return basePathMappingView{BasePath: orNone(m.BasePath), RestAPIID: m.APIID, Stage: m.Stage}
}

func (s *Service) createBasePathMapping(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		BasePath  string `json:"basePath"`
		RestAPIID string `json:"restApiId"`
		Stage     string `json:"stage"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	m := model.BasePathMapping{ID: newID(), BasePath: in.BasePath, APIID: in.RestAPIID, Stage: in.Stage}
	if err := addMapping(ctx, st, r.PathValue("domain_name"), &m); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewBasePathMapping(&m), nil
}

func mappingByPath(d *model.DomainName, path string) (int, error) {
	if path == nonePath {
		path = ""
	}
	for i := range d.Mappings {
		if d.Mappings[i].BasePath == path {
			return i, nil
		}
	}
	return -1, notFound("Invalid base path mapping identifier specified")
}

func (s *Service) getBasePathMappings(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	d, _, err := loadDomain(ctx, st, r.PathValue("domain_name"))
	if err != nil {
		return 0, nil, err
	}
	out := make([]basePathMappingView, 0, len(d.Mappings))
	for i := range d.Mappings {
		out = append(out, viewBasePathMapping(&d.Mappings[i]))
	}
	return http.StatusOK, page(r, out), nil
}

func (s *Service) getBasePathMapping(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	d, _, err := loadDomain(ctx, st, r.PathValue("domain_name"))
	if err != nil {
		return 0, nil, err
	}
	i, err := mappingByPath(d, r.PathValue("base_path"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewBasePathMapping(&d.Mappings[i]), nil
}

func (s *Service) updateBasePathMapping(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	var out basePathMappingView
	_, err = mutateDomain(ctx, st, r.PathValue("domain_name"), func(d *model.DomainName) error {
		i, err := mappingByPath(d, r.PathValue("base_path"))
		if err != nil {
			return err
		}
		m := d.Mappings[i]
		if err := applyPatch(ops, func(p patchOp) error {
			switch p.Path {
			case "/basePath":
				return patchString(p, &m.BasePath)
			case "/restapiId", "/restApiId":
				return patchString(p, &m.APIID)
			case "/stage":
				return patchString(p, &m.Stage)
			}
			return invalidPatchPath(p)
		}); err != nil {
			return err
		}
		if err := replaceMapping(ctx, st, d, i, &m); err != nil {
			return err
		}
		out = viewBasePathMapping(&m)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Service) deleteBasePathMapping(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	err := deleteMapping(ctx, st, r.PathValue("domain_name"), func(d *model.DomainName) (int, error) {
		return mappingByPath(d, r.PathValue("base_path"))
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

// apigatewayv2 domain names and API mappings over the same records.

type v2DomainConfig struct {
	CertificateARN   string `json:"certificateArn,omitempty"`
	EndpointType     string `json:"endpointType,omitempty"`
	SecurityPolicy   string `json:"securityPolicy,omitempty"`
	DomainNameStatus string `json:"domainNameStatus,omitempty"`
	APIGatewayDomain string `json:"apiGatewayDomainName,omitempty"`
}

type v2DomainView struct {
	DomainName                    string            `json:"domainName"`
	APIMappingSelectionExpression string            `json:"apiMappingSelectionExpression"`
	DomainNameConfigurations      []v2DomainConfig  `json:"domainNameConfigurations"`
	Tags                          map[string]string `json:"tags,omitempty"`
}

func viewV2Domain(d *model.DomainName) v2DomainView {
	return v2DomainView{DomainName: d.DomainName, APIMappingSelectionExpression: "$request.basepath", Tags: d.Tags,
		DomainNameConfigurations: []v2DomainConfig{{CertificateARN: d.CertificateARN, EndpointType: d.EndpointType,
			SecurityPolicy: d.SecurityPolicy, DomainNameStatus: "AVAILABLE", APIGatewayDomain: d.DomainName}}}
}

func (s *Service) createV2DomainName(ctx context.Context, st *store, _ *http.Request, body []byte) (int, any, error) {
	var in struct {
		DomainName               string            `json:"domainName"`
		DomainNameConfigurations []v2DomainConfig  `json:"domainNameConfigurations"`
		Tags                     map[string]string `json:"tags"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	d := model.DomainName{DomainName: in.DomainName, Tags: in.Tags}
	if len(in.DomainNameConfigurations) > 0 {
		c := in.DomainNameConfigurations[0]
		d.CertificateARN, d.EndpointType, d.SecurityPolicy = c.CertificateARN, c.EndpointType, c.SecurityPolicy
	}
	if err := newDomain(ctx, st, &d); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewV2Domain(&d), nil
}

func (s *Service) getV2DomainNames(ctx context.Context, st *store, _ *http.Request, _ []byte) (int, any, error) {
	ds, err := listDomains(ctx, st)
	if err != nil {
		return 0, nil, err
	}
	out := v2Items[v2DomainView]{Items: []v2DomainView{}}
	for i := range ds {
		out.Items = append(out.Items, viewV2Domain(&ds[i]))
	}
	return http.StatusOK, out, nil
}

func (s *Service) getV2DomainName(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	d, _, err := loadDomain(ctx, st, r.PathValue("domain_name"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewV2Domain(d), nil
}

type v2APIMappingView struct {
	APIID         string `json:"apiId"`
	APIMappingID  string `json:"apiMappingId"`
	APIMappingKey string `json:"apiMappingKey"`
	Stage         string `json:"stage"`
}

func viewAPIMapping(m *model.BasePathMapping) v2APIMappingView {
	return v2APIMappingView{APIID: m.APIID, APIMappingID: m.ID, APIMappingKey: m.BasePath, Stage: m.Stage}
}

func (s *Service) createAPIMapping(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		APIID         string `json:"apiId"`
		APIMappingKey string `json:"apiMappingKey"`
		Stage         string `json:"stage"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if in.Stage == "" {
		return 0, nil, badRequest("stage is required")
	}
	m := model.BasePathMapping{ID: newID(), BasePath: in.APIMappingKey, APIID: in.APIID, Stage: in.Stage}
	if err := addMapping(ctx, st, r.PathValue("domain_name"), &m); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewAPIMapping(&m), nil
}

func mappingByID(d *model.DomainName, id string) (int, error) {
	for i := range d.Mappings {
		if d.Mappings[i].ID == id {
			return i, nil
		}
	}
	return -1, notFound("Unable to find ApiMapping with id '%s'", id)
}

func (s *Service) getAPIMappings(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	d, _, err := loadDomain(ctx, st, r.PathValue("domain_name"))
	if err != nil {
		return 0, nil, err
	}
	out := v2Items[v2APIMappingView]{Items: []v2APIMappingView{}}
	for i := range d.Mappings {
		out.Items = append(out.Items, viewAPIMapping(&d.Mappings[i]))
	}
	return http.StatusOK, out, nil
}

func (s *Service) getAPIMapping(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	d, _, err := loadDomain(ctx, st, r.PathValue("domain_name"))
	if err != nil {
		return 0, nil, err
	}
	i, err := mappingByID(d, r.PathValue("mapping_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewAPIMapping(&d.Mappings[i]), nil
}

func (s *Service) updateAPIMapping(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		APIID         *string `json:"apiId"`
		APIMappingKey *string `json:"apiMappingKey"`
		Stage         *string `json:"stage"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	var out v2APIMappingView
	_, err := mutateDomain(ctx, st, r.PathValue("domain_name"), func(d *model.DomainName) error {
		i, err := mappingByID(d, r.PathValue("mapping_id"))
		if err != nil {
			return err
		}
		m := d.Mappings[i]
		if in.APIID != nil {
			m.APIID = *in.APIID
		}
		if in.APIMappingKey != nil {
			m.BasePath = *in.APIMappingKey
		}
		if in.Stage != nil {
			m.Stage = *in.Stage
		}
		if err := replaceMapping(ctx, st, d, i, &m); err != nil {
			return err
		}
		out = viewAPIMapping(&m)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Service) deleteAPIMapping(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	err := deleteMapping(ctx, st, r.PathValue("domain_name"), func(d *model.DomainName) (int, error) {
		return mappingByID(d, r.PathValue("mapping_id"))
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *Service) updateV2DomainName(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		DomainNameConfigurations []v2DomainConfig `json:"domainNameConfigurations"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	d, err := mutateDomain(ctx, st, r.PathValue("domain_name"), func(d *model.DomainName) error {
		if len(in.DomainNameConfigurations) == 0 {
			return nil
		}
		c := in.DomainNameConfigurations[0]
		if c.CertificateARN != "" {
			d.CertificateARN = c.CertificateARN
		}
		switch c.EndpointType {
		case "":
		case "REGIONAL", "EDGE":
			d.EndpointType = c.EndpointType
		default:
			return badRequest("Invalid endpoint type %q: REGIONAL or EDGE", c.EndpointType)
		}
		switch c.SecurityPolicy {
		case "":
		case "TLS_1_0", "TLS_1_2":
			d.SecurityPolicy = c.SecurityPolicy
		default:
			return badRequest("Invalid securityPolicy %q: TLS_1_0 or TLS_1_2", c.SecurityPolicy)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewV2Domain(d), nil
}
