package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// PKI is a certificate authority made by a test, for a test: nothing is
// read from disk and nothing outlives the process.
type PKI struct {
	t    testing.TB
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	Pool *x509.CertPool // trusts this CA alone
}

// NewPKI makes a fresh CA.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "objrmi test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &PKI{t: t, cert: cert, key: key, Pool: pool}
}

// Issue signs a certificate for name, valid as a server for 127.0.0.1
// and localhost and as a client.
func (p *PKI) Issue(name string) tls.Certificate {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(p.t, err)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(p.t, err)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	require.NoError(p.t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Config is a TLS config for a runtime named name: its certificate, this
// CA as the root for servers it dials, and, with mutual set, this CA as
// the only issuer of client certificates it accepts, which it requires.
func (p *PKI) Config(name string, mutual bool) *tls.Config {
	p.t.Helper()
	c := &tls.Config{Certificates: []tls.Certificate{p.Issue(name)}, RootCAs: p.Pool, MinVersion: tls.VersionTLS13}
	if mutual {
		c.ClientCAs, c.ClientAuth = p.Pool, tls.RequireAndVerifyClientCert
	}
	return c
}

// ClientConfig trusts this CA and presents no certificate.
func (p *PKI) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: p.Pool, MinVersion: tls.VersionTLS13}
}

// WriteFiles writes name's certificate and key, and the CA's certificate,
// as PEM files in dir, for programs that take file names.
func (p *PKI) WriteFiles(dir, name string) (certFile, keyFile, caFile string) {
	p.t.Helper()
	c := p.Issue(name)
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	require.NoError(p.t, err)
	write := func(file, kind string, der []byte) string {
		path := filepath.Join(dir, file)
		require.NoError(p.t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
		return path
	}
	return write(name+".crt", "CERTIFICATE", c.Certificate[0]),
		write(name+".key", "PRIVATE KEY", keyDER),
		write("ca.crt", "CERTIFICATE", p.cert.Raw)
}
