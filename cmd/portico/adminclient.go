package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/spf13/cobra"
)

// Defaults and bounds of the admin client used by the CLI verbs.
const (
	defaultAdminURL  = "http://127.0.0.1:9080"
	adminRegion      = "us-east-1"
	adminService     = "apigateway"
	adminTimeout     = 60 * time.Second
	maxAdminResponse = 16 << 20
	maxDocumentBytes = 10 << 20
)

// adminClient calls admin's AWS-shaped API, SigV4-signing every request.
type adminClient struct {
	base  string
	creds aws.Credentials
	hc    *http.Client
}

// adminCredentials reads PORTICO_ADMIN_ACCESS_KEY_ID / PORTICO_ADMIN_SECRET_ACCESS_KEY,
// defaulting to test/test as `portico serve` does when they are unset.
func adminCredentials() aws.Credentials {
	id, secret := os.Getenv("PORTICO_ADMIN_ACCESS_KEY_ID"), os.Getenv("PORTICO_ADMIN_SECRET_ACCESS_KEY")
	if id == "" {
		id = "test"
	}
	if secret == "" {
		secret = "test"
	}
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, Source: "portico"}
}

func newAdminClient(base string) (*adminClient, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--admin %q: want an http(s) URL", base)
	}
	return &adminClient{base: strings.TrimRight(base, "/"), creds: adminCredentials(), hc: &http.Client{Timeout: adminTimeout}}, nil
}

// awsError is admin's error: the x-amzn-ErrorType and message.
type awsError struct {
	Status  int
	Type    string
	Message string
}

func (e *awsError) Error() string {
	return fmt.Sprintf("admin: %s (%d): %s", e.Type, e.Status, e.Message)
}

// do sends a signed request; a 2xx JSON body is decoded into out when out is not nil.
func (c *adminClient) do(ctx context.Context, method, path string, body []byte, out any) error {
	data, err := c.send(ctx, method, path, body, "application/json")
	if err != nil {
		return err
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("admin %s %s: decoding response: %w", method, path, err)
	}
	return nil
}

// send signs and sends a request and returns a 2xx response's body, or the *awsError.
func (c *adminClient) send(ctx context.Context, method, path string, body []byte, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("admin request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, c.creds, req, hex.EncodeToString(sum[:]), adminService, adminRegion, time.Now()); err != nil {
		return nil, fmt.Errorf("signing admin request: %w", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAdminResponse))
	if err != nil {
		return nil, fmt.Errorf("admin %s %s: reading response: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &awsError{Status: resp.StatusCode, Type: resp.Header.Get("x-amzn-ErrorType")}
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &m) == nil {
			e.Message = m.Message
		}
		if e.Type == "" {
			e.Type = http.StatusText(resp.StatusCode)
		}
		return nil, e
	}
	return data, nil
}

func (c *adminClient) doJSON(ctx context.Context, method, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.do(ctx, method, path, body, out)
}

// invokeURL asks admin for the edge URL and builds the stage's path-style invoke URL.
func (c *adminClient) invokeURL(ctx context.Context, apiID, stage string) (string, error) {
	var info struct {
		EdgeURL string `json:"edgeUrl"`
	}
	if err := c.do(ctx, http.MethodGet, "/portico/info", nil, &info); err != nil {
		return "", err
	}
	if info.EdgeURL == "" {
		return "", errors.New("admin reports no edge URL")
	}
	return strings.TrimRight(info.EdgeURL, "/") + "/restapis/" + url.PathEscape(apiID) + "/" + url.PathEscape(stage) + "/_user_request_", nil
}

type patchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value"`
}

// adminFlags are the flags every admin verb shares.
type adminFlags struct {
	admin  string
	output string
}

func (f *adminFlags) register(cmd *cobra.Command) {
	def := os.Getenv("PORTICO_ADMIN_URL")
	if def == "" {
		def = defaultAdminURL
	}
	cmd.Flags().StringVar(&f.admin, "admin", def, "admin API base URL (env PORTICO_ADMIN_URL)")
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text or json")
}

func (f *adminFlags) client() (*adminClient, error) {
	if f.output != "text" && f.output != "json" {
		return nil, fmt.Errorf("-o %q: want text or json", f.output)
	}
	return newAdminClient(f.admin)
}

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func validName(flag, v string) error {
	if v == "" || strings.ContainsAny(v, "/?#. ") {
		return fmt.Errorf("--%s %q: want a plain identifier", flag, v)
	}
	return nil
}
