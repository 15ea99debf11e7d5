package remote_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// tap is a TCP relay that records every byte it forwards, in both
// directions: what an eavesdropper on the path would see.
type tap struct {
	ln   net.Listener
	mu   sync.Mutex
	seen bytes.Buffer
	wg   sync.WaitGroup
}

func newTap(t *testing.T, target string) *tap {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &tap{ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.wg.Add(2)
			go p.pipe(in, out)
			go p.pipe(out, in)
		}
	}()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *tap) pipe(from, to net.Conn) {
	defer p.wg.Done()
	defer to.Close()
	buf := make([]byte, 4096)
	for {
		n, err := from.Read(buf)
		if n > 0 {
			p.mu.Lock()
			p.seen.Write(buf[:n])
			p.mu.Unlock()
			to.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

func (p *tap) saw(secret []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Contains(p.seen.Bytes(), secret)
}

// With TLS off, an eavesdropper on the path reads the argument and the
// result; with TLS on, the same tap finds neither.
func TestEavesdropperReadsArgumentsOnlyWithoutTLS(t *testing.T) {
	pki := testutil.NewPKI(t)
	secret := []byte("the launch code is 0000-TOP-SECRET")
	for _, useTLS := range []bool{false, true} {
		name := map[bool]string{false: "plaintext", true: "TLS"}[useTLS]
		t.Run(name, func(t *testing.T) {
			srvOpts, cliOpts := remote.Options{Listen: "127.0.0.1:0"}, remote.Options{}
			if useTLS {
				srvOpts.TLS, cliOpts.TLS = pki.Config("server", false), pki.ClientConfig()
			}
			srv := newRuntime(t, srvOpts)
			_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
			require.NoError(t, err)
			relay := newTap(t, srv.Endpoint())
			cli := newRuntime(t, cliOpts)
			endpoint := relay.ln.Addr().String()
			if useTLS {
				endpoint = "tls:" + endpoint
			}
			calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, endpoint, calcID)
			require.NoError(t, err)
			echoed, err := calc.Echo(ctxT(t), secret)
			require.NoError(t, err)
			require.Equal(t, secret, echoed)
			assert.Equal(t, !useTLS, relay.saw(secret), "the tap saw the secret")
			assert.Equal(t, !useTLS, relay.saw([]byte(wire.Magic)), "the tap saw the objrmi handshake")
		})
	}
}

// Speaking plaintext to a TLS runtime, or TLS to a plaintext one, fails
// the dial with ErrTLSMismatch and a message that says which.
func TestTLSMismatchIsTyped(t *testing.T) {
	pki := testutil.NewPKI(t)
	secure := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", TLS: pki.Config("server", false)})
	plain := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	cli := newRuntime(t, remote.Options{TLS: pki.ClientConfig()})

	_, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, secure.Endpoint(), calcID)
	require.ErrorIs(t, err, objerr.ErrTLSMismatch)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorContains(t, err, "requires TLS")

	_, err = remote.Dial[testsvc.Calculator](ctxT(t), cli, "tls:"+plain.Endpoint(), calcID)
	require.ErrorIs(t, err, objerr.ErrTLSMismatch)
	assert.ErrorContains(t, err, "answered in plaintext objrmi")
}

// principals records who each call came from, as the runtime's
// Authorize hook saw it and as the method saw it.
type principals struct {
	*testsvc.Calc
	mu    sync.Mutex
	hook  []string
	calls []string
}

func (p *principals) authorize(_ context.Context, c remote.Call) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook = append(p.hook, c.Principal.Name+"/"+c.Principal.Via+" "+c.Interface+"."+c.Method)
	return nil
}

func (p *principals) Add(ctx context.Context, a, b int64) (int64, error) {
	who, _ := remote.PrincipalOf(ctx)
	p.mu.Lock()
	p.calls = append(p.calls, who.Name)
	p.mu.Unlock()
	return a + b, nil
}

// Under mutual TLS a client without a certificate is refused, and a
// client with one is accepted: its certificate's name is the principal
// that the Authorize hook and the method see.
func TestMutualTLS(t *testing.T) {
	pki := testutil.NewPKI(t)
	impl := &principals{Calc: testsvc.NewCalc()}
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", TLS: pki.Config("server", true), Authorize: impl.authorize})
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)

	anon := newRuntime(t, remote.Options{TLS: pki.ClientConfig()})
	_, err = remote.Dial[testsvc.Calculator](ctxT(t), anon, "tls:"+srv.Endpoint(), calcID)
	require.ErrorIs(t, err, objerr.ErrNotSent, "a client without a certificate is refused")
	assert.ErrorContains(t, err, "certificate required")

	// A certificate from another CA proves nothing.
	stranger := newRuntime(t, remote.Options{TLS: testutil.NewPKI(t).Config("mallory", false)})
	_, err = remote.Dial[testsvc.Calculator](ctxT(t), stranger, "tls:"+srv.Endpoint(), calcID)
	require.Error(t, err, "a certificate from an untrusted CA is refused")

	alice := newRuntime(t, remote.Options{TLS: pki.Config("alice", false)})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), alice, "tls:"+srv.Endpoint(), calcID)
	require.NoError(t, err)
	sum, err := calc.Add(ctxT(t), 2, 3)
	require.NoError(t, err)
	assert.Equal(t, int64(5), sum)
	impl.mu.Lock()
	defer impl.mu.Unlock()
	// Dial's check that the object exists (no method), then the call.
	assert.Equal(t, []string{"alice/certificate Calculator.", "alice/certificate Calculator.Add"}, impl.hook)
	assert.Equal(t, []string{"alice"}, impl.calls)
}

// A token presented in the handshake becomes the principal when the
// server's check accepts it; with RequireAuth, no token or a bad one is
// refused with ErrUnauthenticated. The token goes only over TLS: the
// same runtime dialling in plaintext presents none.
func TestTokenAuthentication(t *testing.T) {
	pki := testutil.NewPKI(t)
	impl := &principals{Calc: testsvc.NewCalc()}
	check := func(_ context.Context, token string) (string, error) {
		if token == "bob-token" {
			return "bob", nil
		}
		return "", errors.New("no such token")
	}
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", RequireAuth: true, Authorize: impl.authorize,
		CheckToken: check, TLS: pki.Config("server", false)})
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	endpoint := "tls:" + srv.Endpoint()

	for token, why := range map[string]string{"": "authentication required", "forged": "token was not accepted"} {
		cli := newRuntime(t, remote.Options{Token: token, TLS: pki.ClientConfig()})
		_, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, endpoint, calcID)
		require.ErrorIs(t, err, objerr.ErrUnauthenticated, "token %q", token)
		assert.ErrorIs(t, err, objerr.ErrNotSent)
		assert.ErrorContains(t, err, why)
	}

	bob := newRuntime(t, remote.Options{Token: "bob-token", TLS: pki.ClientConfig()})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), bob, endpoint, calcID)
	require.NoError(t, err)
	_, err = calc.Add(ctxT(t), 1, 1)
	require.NoError(t, err)
	impl.mu.Lock()
	assert.Equal(t, []string{"bob/token Calculator.", "bob/token Calculator.Add"}, impl.hook)
	impl.mu.Unlock()

	plain := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", RequireAuth: true, CheckToken: check})
	_, err = remote.Export[testsvc.Calculator](plain, impl, remote.WithID(calcID))
	require.NoError(t, err)
	_, err = remote.Dial[testsvc.Calculator](ctxT(t), bob, plain.Endpoint(), calcID)
	require.ErrorIs(t, err, objerr.ErrUnauthenticated, "bob's token is not sent in plaintext")
	insecure := newRuntime(t, remote.Options{Token: "bob-token", InsecureToken: true})
	_, err = remote.Dial[testsvc.Calculator](ctxT(t), insecure, plain.Endpoint(), calcID)
	require.NoError(t, err, "unless InsecureToken says so")
}

// counting counts the calls of Add that actually ran.
type counting struct {
	*testsvc.Calc
	adds atomic.Int64
}

func (c *counting) Add(ctx context.Context, a, b int64) (int64, error) {
	c.adds.Add(1)
	return a + b, nil
}

// A denied call fails with ErrAccessDenied, "not sent", and the method
// never runs; the runtime's rule and the export's own rule both apply.
func TestAuthorizeDeniesBeforeTheMethodRuns(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0",
		Authorize: func(_ context.Context, c remote.Call) error {
			if c.Method == "Div" {
				return errors.New("nobody divides here")
			}
			return nil
		}})
	impl := &counting{Calc: testsvc.NewCalc()}
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID),
		remote.WithAuthorize(func(_ context.Context, c remote.Call) error {
			if c.Method == "Add" && !c.Principal.Authenticated() {
				return errors.New("Add needs a principal")
			}
			return nil
		}))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)

	_, err = calc.Add(ctxT(t), 1, 2)
	require.ErrorIs(t, err, objerr.ErrAccessDenied)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorContains(t, err, "Add needs a principal")
	assert.Zero(t, impl.adds.Load(), "the denied method never ran")

	_, err = calc.Div(ctxT(t), 4, 2)
	require.ErrorIs(t, err, objerr.ErrAccessDenied)
	assert.ErrorContains(t, err, "nobody divides here")

	echoed, err := calc.Echo(ctxT(t), []byte("allowed"))
	require.NoError(t, err)
	assert.Equal(t, "allowed", string(echoed))
}

// A runtime id belongs to the identity that presented it first: another
// host presenting the same id is refused, so it cannot send DGC cleans
// (or anything else) in that runtime's name.
func TestRuntimeIDCannotBeTakenOver(t *testing.T) {
	srv, _, cli, calc := pair(t)
	_, err := calc.Add(ctxT(t), 1, 1)
	require.NoError(t, err)

	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	nc, err := d.Dial("tcp", srv.Endpoint())
	require.NoError(t, err)
	defer nc.Close()
	require.NoError(t, wire.WriteHello(nc, &wire.Hello{Runtime: cli.ID()}))
	var h wire.Hello
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	require.NoError(t, wire.ReadHello(nc, &h))
	assert.Equal(t, objerr.CodeAccessDenied, h.Code)
	assert.Contains(t, h.Refusal, "in use by another peer")

	// A fresh id from the same place is welcome.
	nc2, err := d.Dial("tcp", srv.Endpoint())
	require.NoError(t, err)
	defer nc2.Close()
	require.NoError(t, wire.WriteHello(nc2, &wire.Hello{Runtime: uuid.New()}))
	nc2.SetReadDeadline(time.Now().Add(10 * time.Second))
	require.NoError(t, wire.ReadHello(nc2, &h))
	assert.Empty(t, h.Refusal)
}

// A runtime id is never weaker than its address: an anonymous runtime
// that dials from one address and is reached at another (NAT, several
// interfaces) is refused as a second host claiming its id. Proved by a
// certificate, the same runtime is itself at both addresses.
func TestRuntimeAtAnotherAddressMustAuthenticate(t *testing.T) {
	pki := testutil.NewPKI(t)
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "anonymous", true: "mutual TLS"}[useTLS], func(t *testing.T) {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
			pOpts := remote.Options{Listen: "127.0.0.1:0", Dial: d.DialContext}
			qOpts := remote.Options{Listen: "127.0.0.1:0"}
			prefix := ""
			if useTLS {
				pOpts.TLS, qOpts.TLS, prefix = pki.Config("p", true), pki.Config("q", true), "tls:"
			}
			p := newRuntime(t, pOpts)
			_, err := remote.Export[testsvc.Calculator](p, testsvc.NewCalc(), remote.WithID(calcID))
			require.NoError(t, err)
			q := newRuntime(t, qOpts)
			_, err = remote.Export[testsvc.Calculator](q, testsvc.NewCalc(), remote.WithID(calcID))
			require.NoError(t, err)

			toQ, err := remote.Dial[testsvc.Calculator](ctxT(t), p, prefix+q.Endpoint(), calcID)
			require.NoError(t, err)
			_, err = toQ.Add(ctxT(t), 1, 1) // q now knows p's id, from 127.0.0.2
			require.NoError(t, err)
			toP, err := remote.Dial[testsvc.Calculator](ctxT(t), q, prefix+p.Endpoint(), calcID)
			if !useTLS {
				require.ErrorIs(t, err, objerr.ErrAccessDenied, "q dials p at 127.0.0.1, a second host for p's id")
				assert.ErrorContains(t, err, "must authenticate")
				return
			}
			require.NoError(t, err, "p's certificate proves it at any address")
			_, err = toP.Add(ctxT(t), 1, 1)
			require.NoError(t, err)
		})
	}
}

// The runtime's rule also guards the DGC's Inspect, which tells who holds
// an object, while Dirty and Clean, which act only for the caller's own
// id, keep working for everyone the rule lets in at all.
func TestAuthorizeGuardsDGCInspect(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0",
		Authorize: func(_ context.Context, c remote.Call) error {
			if c.Method == "Inspect" {
				return errors.New("holders are private")
			}
			return nil
		}})
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)
	counter, err := calc.NewCounter(ctxT(t), 1) // a counted reference: Dirty works
	require.NoError(t, err)
	defer remote.Release(counter)
	ref, _ := remote.RefOf(counter)
	require.NoError(t, cli.Confirm(ctxT(t), counter))
	_, err = cli.Holders(ctxT(t), ref)
	require.ErrorIs(t, err, objerr.ErrAccessDenied)
	assert.ErrorContains(t, err, "holders are private")
}
