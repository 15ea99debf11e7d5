package cli

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
)

// tlsFlags adds the TLS flags to fs. The config they describe serves
// both sides: with --tls-cert and --tls-key it presents that certificate
// (a server's, or a client's for mutual TLS); with --tls-ca it trusts
// that CA alone, for the servers it dials and, when serving, for the
// client certificates it then requires.
func tlsFlags(fs *flag.FlagSet) func(serving bool) (*tls.Config, error) {
	cert := fs.String("tls-cert", "", "PEM `file` of this side's certificate (with --tls-key)")
	key := fs.String("tls-key", "", "PEM `file` of this side's private key")
	ca := fs.String("tls-ca", "", "PEM `file` of the CA to trust; when serving, clients must present a certificate it issued")
	return func(serving bool) (*tls.Config, error) {
		if *cert == "" && *key == "" && *ca == "" {
			return nil, nil
		}
		if (*cert == "") != (*key == "") {
			return nil, fmt.Errorf("--tls-cert and --tls-key go together: %w", errUsage)
		}
		if serving && *cert == "" {
			return nil, fmt.Errorf("serving TLS needs --tls-cert and --tls-key: %w", errUsage)
		}
		c := &tls.Config{MinVersion: tls.VersionTLS12}
		if *cert != "" {
			pair, err := tls.LoadX509KeyPair(*cert, *key)
			if err != nil {
				return nil, err
			}
			c.Certificates = []tls.Certificate{pair}
		}
		if *ca != "" {
			pem, err := os.ReadFile(*ca)
			if err != nil {
				return nil, err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--tls-ca %s: no PEM certificate in it: %w", *ca, errUsage)
			}
			c.RootCAs = pool
			if serving {
				c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
			}
		}
		return c, nil
	}
}
