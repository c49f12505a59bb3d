package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert, key}
}

// issue returns a PEM certificate and key signed by ca.
func (ca *testCA) issue(t *testing.T, cn string, serial int64, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Organization: []string{"Portico Tests"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// TestMutualTLS: with a truststore, the edge's HTTPS listener admits only clients whose
// certificate its CAs issued, and the integration learns who the client is.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, other := newCA(t, "portico test ca"), newCA(t, "someone else")
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	srvCert, srvKey := ca.issue(t, "127.0.0.1", 10, true)
	trust := write("truststore.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}))
	g := startServe(t, serveOptions{tlsAddr: freeAddr(t), tlsCert: write("server.pem", srvCert), tlsKey: write("server.key", srvKey), truststore: trust})
	nc := natstest.ConnectURL(t, g.natsURL())
	sub, err := nc.Subscribe("mtls.whoami", func(m *nats.Msg) {
		_ = m.Respond([]byte(m.Header.Get(wire.HeaderClientCertSubject) + " / " + m.Header.Get(wire.HeaderClientCertSerial)))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	imp := importAPI(t, g, `openapi: 3.0.1
info: {title: mtls, version: "1"}
paths:
  /whoami:
    get:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: mtls.whoami}
`, "--stage", "s")
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	client := func(certPEM, keyPEM []byte) *http.Client {
		cfg := &tls.Config{RootCAs: roots}
		if certPEM != nil {
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	}
	url := strings.Replace(imp.InvokeURL, "http://"+g.opts.httpAddr, "https://"+g.opts.tlsAddr, 1) + "/whoami"

	goodCert, goodKey := ca.issue(t, "alice", 4242, false)
	resp, err := client(goodCert, goodKey).Get(url)
	if err != nil {
		t.Fatalf("GET with a trusted client certificate: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "CN=alice,O=Portico Tests / 4242" {
		t.Errorf("GET with a trusted client certificate = %d %q", resp.StatusCode, body)
	}
	if _, err := client(nil, nil).Get(url); err == nil {
		t.Error("GET without a client certificate succeeded")
	}
	badCert, badKey := other.issue(t, "mallory", 7, false)
	if _, err := client(badCert, badKey).Get(url); err == nil {
		t.Error("GET with a certificate from another CA succeeded")
	}
}
