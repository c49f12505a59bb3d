package edge

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/valyala/fasthttp"
)

// TLSConfig makes the edge serve HTTPS too, on Addr (custom domain names are served over it
// like any host). With Truststore set (a PEM bundle of CA certificates), every client must
// present a certificate that chains to it: mutual TLS, as API Gateway's truststore does, and
// $context.identity.clientCert describes it.
type TLSConfig struct {
	Addr       string `yaml:"addr"`
	CertFile   string `yaml:"cert_file"`
	KeyFile    string `yaml:"key_file"`
	Truststore string `yaml:"truststore"`
}

func (c TLSConfig) validate() error {
	if c.Addr == "" {
		if c.CertFile != "" || c.KeyFile != "" || c.Truststore != "" {
			return errors.New("edge tls: cert_file, key_file and truststore need addr")
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("edge tls addr %q: %w", c.Addr, err)
	}
	if c.CertFile == "" || c.KeyFile == "" {
		return errors.New("edge tls: addr needs cert_file and key_file")
	}
	return nil
}

// serverTLS loads the certificate and the truststore.
func (c TLSConfig) serverTLS() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("edge tls certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.Truststore != "" {
		pemData, err := os.ReadFile(c.Truststore)
		if err != nil {
			return nil, fmt.Errorf("edge truststore: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			return nil, fmt.Errorf("edge truststore %s: no PEM certificates", c.Truststore)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// clientCert describes the verified client certificate of a mutual-TLS request, in the shape of
// $context.identity.clientCert; nil for other requests.
func clientCert(c *fasthttp.RequestCtx) map[string]any {
	st := c.TLSConnectionState()
	if st == nil || len(st.PeerCertificates) == 0 {
		return nil
	}
	cert := st.PeerCertificates[0]
	return map[string]any{
		"clientCertPem": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})),
		"subjectDN":     cert.Subject.String(),
		"issuerDN":      cert.Issuer.String(),
		"serialNumber":  cert.SerialNumber.String(),
		"validity": map[string]any{
			"notBefore": cert.NotBefore.UTC().Format("Jan 2 15:04:05 2006 GMT"),
			"notAfter":  cert.NotAfter.UTC().Format("Jan 2 15:04:05 2006 GMT"),
		},
	}
}

// serverLog routes fasthttp's connection-level messages (a refused TLS handshake, a client
// that went away) to the edge's logger at debug level.
type serverLog struct{ log *slog.Logger }

func (l serverLog) Printf(format string, args ...any) {
	l.log.Debug("http connection", "detail", fmt.Sprintf(format, args...))
}
