package main

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// The daemon serves mutual TLS from PEM files and gives the bind right
// to a principal: that principal binds from another host, the CLI lists
// with a certificate, and the CLI without TLS is told the registry
// requires it.
func TestServeTLSWithABinder(t *testing.T) {
	pki := testutil.NewPKI(t)
	dir := t.TempDir()
	cert, key, ca := pki.WriteFiles(dir, "registry")
	d := serveRegistry(t, "--tls-cert", cert, "--tls-key", key, "--tls-ca", ca, "--binder", "deployer")
	require.True(t, strings.HasPrefix(d.url, "objrmis://"), d.url)

	far := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	owner := testutil.Runtime(t, remote.Options{Listen: "127.0.0.1:0", TLS: pki.Config("deployer", true), Dial: far.DialContext})
	ref, err := remote.Export[testsvc.Calculator](owner, testsvc.NewCalc())
	require.NoError(t, err)
	reg, err := registry.Dial(ctxT(t), owner, d.url)
	require.NoError(t, err)
	require.NoError(t, reg.Bind(context.Background(), "calc", ref))

	ccert, ckey, _ := pki.WriteFiles(dir, "reader")
	out, errOut, code := cli(t, "list", "--tls-cert", ccert, "--tls-key", ckey, "--tls-ca", ca, d.url)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "calc\n", out)

	plain := "objrmi://" + strings.TrimPrefix(d.url, "objrmis://")
	_, errOut, code = cli(t, "list", plain)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "requires TLS")
}
