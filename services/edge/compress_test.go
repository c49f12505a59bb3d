package edge

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strings"
	"testing"

	"github.com/portico/portico/pkg/model"
)

func TestAcceptsCoding(t *testing.T) {
	tests := []struct {
		name, header, coding string
		want                 bool
	}{
		{"listed", "gzip, deflate, br", "gzip", true},
		{"case", "GZip", "gzip", true},
		{"weighted", "deflate;q=0.5", "deflate", true},
		{"refused", "gzip;q=0", "gzip", false},
		{"star", "*", "deflate", true},
		{"absent", "br", "gzip", false},
		{"empty", "", "gzip", false},
		{"identity", "identity", "gzip", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := acceptsCoding([]byte(tt.header), tt.coding); got != tt.want {
				t.Errorf("acceptsCoding(%q, %q) = %v, want %v", tt.header, tt.coding, got, tt.want)
			}
		})
	}
}

// TestMinimumCompressionSize: an API's minimumCompressionSize compresses answers at least that
// large for clients that accept gzip or deflate, and only those.
func TestMinimumCompressionSize(t *testing.T) {
	h := newHarness(t)
	big := strings.Repeat(`{"pet":"dog"},`, 20)
	mock := func(body string) map[string]model.Method {
		return map[string]model.Method{"GET": {HTTPMethod: "GET", AuthorizationType: "NONE",
			MethodIntegration: &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
				IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": body}}}}}}
	}
	api := restAPI("gzipapi001", resource("/big", mock(big)), resource("/small", mock(`{}`)))
	size := 100
	api.MinimumCompressionSize = &size
	h.deploy(api, "s", nil)
	plain := restAPI("gzipapi002", resource("/big", mock(big)))
	h.deploy(plain, "s", nil)

	decode := map[string]func(io.Reader) (io.Reader, error){
		"gzip":    func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
		"deflate": func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) },
	}
	tests := []struct {
		name, api, path, accept, wantCoding, wantBody string
	}{
		{"gzip", "gzipapi001", "/big", "gzip, deflate", "gzip", big},
		{"deflate", "gzipapi001", "/big", "deflate", "deflate", big},
		{"not accepted", "gzipapi001", "/big", "identity", "", big},
		{"below the size", "gzipapi001", "/small", "gzip", "", `{}`},
		{"API without a size", "gzipapi002", "/big", "gzip", "", big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do("GET", restPath(tt.api, "s", tt.path), "", "Accept-Encoding", tt.accept)
			if got := r.header.Get("Content-Encoding"); got != tt.wantCoding {
				t.Fatalf("Content-Encoding = %q, want %q", got, tt.wantCoding)
			}
			body := r.body
			if tt.wantCoding != "" {
				rd, err := decode[tt.wantCoding](bytes.NewReader([]byte(r.body)))
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(rd)
				if err != nil {
					t.Fatal(err)
				}
				if len(b) <= len(r.body) {
					t.Errorf("compressed %d bytes into %d", len(b), len(r.body))
				}
				body = string(b)
			}
			if r.status != 200 || body != tt.wantBody {
				t.Errorf("GET %s = %d %q, want 200 %q", tt.path, r.status, body, tt.wantBody)
			}
		})
	}
}
