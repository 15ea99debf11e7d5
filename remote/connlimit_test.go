package remote_test

import (
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// Issue 12, item 12: one host cannot take every connection slot. Over
// MaxConnsPerHost, counting connections open and still in their
// handshake, a dialler from that host is refused with ErrOverloaded
// naming the limit, in plaintext and under TLS, while a dialler from
// another host (127.0.0.2) connects; a slot given back is usable again.
func TestConnsPerHost(t *testing.T) {
	pki := testutil.NewPKI(t)
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "plaintext", true: "TLS"}[useTLS], func(t *testing.T) {
			srvOpts, cliOpts, prefix := remote.Options{Listen: "127.0.0.1:0", MaxConnsPerHost: 3}, remote.Options{}, ""
			if useTLS {
				srvOpts.TLS, cliOpts.TLS, prefix = pki.Config("server", false), pki.ClientConfig(), "tls:"
			}
			logs := &testutil.Buffer{}
			srvOpts.Logger = slog.New(slog.NewTextHandler(logs, nil))
			srv := newRuntime(t, srvOpts)
			_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
			require.NoError(t, err)
			endpoint := prefix + srv.Endpoint()
			dial := func(opts remote.Options) (*remote.Runtime, error) {
				rt := newRuntime(t, opts)
				calc, err := remote.Dial[testsvc.Calculator](ctxT(t), rt, endpoint, calcID)
				if err == nil {
					_, err = calc.Add(ctxT(t), 1, 2)
				}
				return rt, err
			}

			// Two runtimes and one socket still in its handshake fill
			// 127.0.0.1's slots.
			first, err := dial(cliOpts)
			require.NoError(t, err)
			_, err = dial(cliOpts)
			require.NoError(t, err)
			opening, err := net.Dial("tcp", srv.Endpoint())
			require.NoError(t, err)
			defer opening.Close()
			// The accept loop takes sockets in order: the one in its
			// handshake is counted before the next dial's.
			_, err = dial(cliOpts)
			require.ErrorIs(t, err, objerr.ErrOverloaded)
			assert.ErrorIs(t, err, objerr.ErrNotSent)
			assert.ErrorContains(t, err, "MaxConnsPerHost")
			t.Logf("refused: %v", err)

			other := cliOpts
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
			other.Dial = d.DialContext
			_, err = dial(other)
			require.NoError(t, err, "another host still connects")

			// Slots come back when connections end, opening or open.
			opening.Close()
			require.NoError(t, first.Close())
			for range 2 {
				require.Eventually(t, func() bool {
					_, err := dial(cliOpts)
					return err == nil
				}, 10*time.Second, 10*time.Millisecond, "a slot given back")
			}
			_, err = dial(cliOpts)
			require.ErrorIs(t, err, objerr.ErrOverloaded)
			assert.Contains(t, logs.String(), "MaxConnsPerHost", "the server's log names the limit")
		})
	}
}
