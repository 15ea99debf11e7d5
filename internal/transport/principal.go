package transport

import (
	"crypto/tls"
	"crypto/x509"
)

// How a principal proved who it is.
const (
	ViaCertificate = "certificate" // a TLS certificate the other side verified
	ViaToken       = "token"       // a handshake token the server's check accepted
)

// Principal is who is on the other end of a connection, as far as the
// connection proved it. The zero Principal is anonymous.
type Principal struct {
	// Name identifies the principal: the certificate's common name (or
	// its first DNS name, e-mail address or URI when it has none), or the
	// name the token check returned.
	Name string
	// Via says how it was proved: ViaCertificate or ViaToken; empty for
	// an anonymous peer.
	Via string
	// Certificate is the verified leaf certificate, under TLS.
	Certificate *x509.Certificate
}

// Authenticated reports whether the peer proved an identity.
func (p Principal) Authenticated() bool { return p.Via != "" }

func (p Principal) String() string {
	if !p.Authenticated() {
		return "anonymous"
	}
	return p.Name + " (" + p.Via + ")"
}

// certPrincipal names the peer of a TLS connection by its certificate,
// but only by one that was verified against a trusted root: a
// certificate the config merely requested proves nothing.
func certPrincipal(st tls.ConnectionState) Principal {
	if len(st.VerifiedChains) == 0 || len(st.PeerCertificates) == 0 {
		return Principal{}
	}
	c := st.PeerCertificates[0]
	name := c.Subject.CommonName
	switch {
	case name != "":
	case len(c.DNSNames) > 0:
		name = c.DNSNames[0]
	case len(c.EmailAddresses) > 0:
		name = c.EmailAddresses[0]
	case len(c.URIs) > 0:
		name = c.URIs[0].String()
	}
	return Principal{Name: name, Via: ViaCertificate, Certificate: c}
}
