package remote_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// A runtime with a Token that dials a RequireAuth server in plaintext
// is told that its token was withheld, and how to send it, not merely
// to present one.
func TestTokenWithheldInPlaintextSaysSo(t *testing.T) {
	check := func(_ context.Context, token string) (string, error) {
		if token == "bob-token" {
			return "bob", nil
		}
		return "", errors.New("no such token")
	}
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", RequireAuth: true, CheckToken: check})
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)

	bob := newRuntime(t, remote.Options{Token: "bob-token"})
	_, err = remote.Dial[testsvc.Calculator](ctxT(t), bob, srv.Endpoint(), calcID)
	require.ErrorIs(t, err, objerr.ErrUnauthenticated)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	t.Logf("%v", err)
	assert.Contains(t, err.Error(), srv.Endpoint()+" requires authentication, and this runtime's Options.Token was not sent because the connection is plaintext")
	assert.Contains(t, err.Error(), "TLS")
	assert.Contains(t, err.Error(), "Options.InsecureToken")
	assert.NotContains(t, err.Error(), "present a client certificate this runtime trusts, or a token")

	anon := newRuntime(t, remote.Options{})
	_, err = remote.Dial[testsvc.Calculator](ctxT(t), anon, srv.Endpoint(), calcID)
	require.ErrorIs(t, err, objerr.ErrUnauthenticated)
	assert.NotContains(t, err.Error(), "Options.Token", "no token, nothing withheld")
}
