package registry_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// Bind, Lookup, List, Rebind and Unbind behave as in Java RMI, and each
// failure is a sentinel that errors.Is finds on the client.
func TestOperationsAndTheirErrors(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	owner, ref, _ := exportCalc(t, remote.Options{})
	c := dial(t, owner, srv.URL())
	ctx := ctxT(t)

	require.NoError(t, c.Bind(ctx, "calc", ref))
	err := c.Bind(ctx, "calc", ref)
	assert.ErrorIs(t, err, registry.ErrAlreadyBound)
	assert.ErrorContains(t, err, `"calc"`)

	client := newRuntime(t, remote.Options{})
	calc, err := registry.Lookup[testsvc.Calculator](ctx, client, srv.URL()+"/calc")
	require.NoError(t, err)
	sum, err := calc.Add(ctx, 2, 3)
	require.NoError(t, err)
	assert.Equal(t, int64(5), sum)

	_, err = registry.Lookup[testsvc.Calculator](ctx, client, srv.URL()+"/nothing")
	assert.ErrorIs(t, err, registry.ErrNotBound)
	assert.ErrorContains(t, err, `"nothing"`)

	names, err := dial(t, client, srv.URL()).List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"calc"}, names)

	_, other, _ := exportCalc(t, remote.Options{})
	require.NoError(t, c.Rebind(ctx, "calc", other))
	got, err := c.Lookup(ctx, "calc")
	require.NoError(t, err)
	assert.Equal(t, other.Runtime, got.Runtime, "Rebind replaced the binding")

	require.NoError(t, c.Unbind(ctx, "calc"))
	assert.ErrorIs(t, c.Unbind(ctx, "calc"), registry.ErrNotBound)
	_, err = c.Lookup(ctx, "calc")
	assert.ErrorIs(t, err, registry.ErrNotBound)
	names, err = c.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, names)
}

// A hundred concurrent Binds of one name: exactly one wins.
func TestBindRaceHasOneWinner(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	const n = 100
	var wg sync.WaitGroup
	errs := make([]error, n)
	owners := make([]remote.Ref, n)
	for i := range n {
		// Ten runtimes, ten objects each: the binders are not all one peer.
		if i%10 == 0 {
			rt, ref, _ := exportCalc(t, remote.Options{})
			owners[i] = ref
			for j := 1; j < 10; j++ {
				ref, err := remote.Export[testsvc.Calculator](rt, testsvc.NewCalc())
				require.NoError(t, err)
				owners[i+j] = ref
			}
		}
	}
	clients := map[string]*registry.Client{}
	for _, ref := range owners {
		if clients[ref.Endpoint] == nil {
			rt := newRuntime(t, remote.Options{})
			clients[ref.Endpoint] = dial(t, rt, srv.URL())
		}
	}
	ctx := ctxT(t)
	for i := range n {
		wg.Go(func() { errs[i] = clients[owners[i].Endpoint].Bind(ctx, "contested", owners[i]) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, won, "two winners: %d and %d", won, i)
			won = i
			continue
		}
		assert.ErrorIs(t, err, registry.ErrAlreadyBound)
	}
	require.NotEqual(t, -1, won, "no winner")
	got, err := clients[owners[won].Endpoint].Lookup(ctx, "contested")
	require.NoError(t, err)
	assert.Equal(t, owners[won].Object, got.Object)
	assert.Equal(t, owners[won].Runtime, got.Runtime)
}

// Looking up an object bound as another interface is a type error that
// names both.
func TestLookupOfAnotherInterfaceIsATypeError(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	owner, ref, _ := exportCalc(t, remote.Options{})
	require.NoError(t, dial(t, owner, srv.URL()).Bind(ctxT(t), "calc", ref))

	client := newRuntime(t, remote.Options{})
	_, err := registry.Lookup[testsvc.Counter](ctxT(t), client, srv.URL()+"/calc")
	assert.ErrorIs(t, err, registry.ErrWrongType)
	assert.ErrorContains(t, err, "is a Calculator, not a testsvc.Counter")
}

func TestBadURLs(t *testing.T) {
	client := newRuntime(t, remote.Options{})
	for _, tc := range []struct{ url, want string }{
		{"127.0.0.1:1099/calc", "no scheme"},
		{"rmi://127.0.0.1:1099/calc", `scheme "rmi" is not objrmi`},
		{"objrmi://127.0.0.1:http/calc", `port "http" is not a number`},
		{"objrmi://127.0.0.1:0/calc", "port 0 is out of range"},
		{"objrmi://127.0.0.1:70000/calc", "port 70000 is out of range"},
		{"objrmi://127.0.0.1:/calc", "empty port"},
		{"objrmi:///calc", "empty host"},
		{"objrmi://::1:1099/calc", "IPv6 host must be in brackets"},
		{"objrmi://[::1/calc", "no closing ']'"},
		{"objrmi://user@host/calc", "user information"},
		{"objrmi://host_1/calc", `forbidden character '_' in host`},
		{"objrmi://127.0.0.1:1099/", "empty name"},
		{"objrmi://127.0.0.1:1099", "empty name"},
		{"objrmi://127.0.0.1:1099/a b", `forbidden character ' ' at byte 1`},
		{"objrmi://127.0.0.1:1099/calc?x=1", `forbidden character '?' at byte 4`},
		{"objrmi://127.0.0.1:1099/a//b", "empty part"},
		{"objrmi://127.0.0.1:1099/a/../b", `part ".." is not allowed`},
	} {
		_, err := registry.Lookup[testsvc.Calculator](ctxT(t), client, tc.url)
		assert.ErrorIs(t, err, registry.ErrBadURL, tc.url)
		assert.ErrorContains(t, err, tc.want, tc.url)
		var ue *registry.URLError
		assert.True(t, errors.As(err, &ue), tc.url)
	}
	u, err := registry.ParseURL("objrmi://[::1]/billing/calc-2")
	require.NoError(t, err)
	assert.Equal(t, registry.URL{Host: "::1", Port: registry.DefaultPort, Name: "billing/calc-2"}, u)
	assert.Equal(t, "objrmi://[::1]:1099/billing/calc-2", u.String())
}

func TestBadNamesAndReferences(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	owner, ref, _ := exportCalc(t, remote.Options{})
	c := dial(t, owner, srv.URL())
	for _, name := range []string{"", "a b", "/a", "a/", "é", string(make([]byte, 256))} {
		assert.ErrorIs(t, c.Bind(ctxT(t), name, ref), registry.ErrBadName, "%q", name)
	}
	assert.ErrorIs(t, c.Bind(ctxT(t), "zero", remote.Ref{}), registry.ErrBadReference)
	noListener := newRuntime(t, remote.Options{})
	local, err := remote.Export[testsvc.Calculator](noListener, testsvc.NewCalc())
	require.NoError(t, err)
	err = dial(t, noListener, srv.URL()).Bind(ctxT(t), "unreachable", local)
	assert.ErrorIs(t, err, registry.ErrBadReference)
	assert.ErrorContains(t, err, "no listener")

	require.NoError(t, owner.Unexport(ref))
	err = c.Bind(ctxT(t), "gone", ref)
	assert.ErrorIs(t, err, objerr.ErrNoSuchObject, "its owner refuses to send it")
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	// From a third runtime, the registry itself finds out.
	err = dial(t, noListener, srv.URL()).Bind(ctxT(t), "gone", ref)
	assert.ErrorIs(t, err, registry.ErrBadReference, "a binding never points at an object already gone")
	assert.ErrorContains(t, err, "it was unexported")
}

// The default access rule: changes only from the registry's host. The
// test stands another host in with 127.0.0.2, an address of the loopback
// network that no interface has, by dialling from it.
func TestNonLocalChangesAreRefused(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	_, ref, _ := exportCalc(t, remote.Options{})
	var d = fromAddr("127.0.0.2")
	far := newRuntime(t, remote.Options{Dial: d})
	c := dial(t, far, srv.URL())
	ctx := ctxT(t)

	err := c.Bind(ctx, "calc", ref)
	assert.ErrorIs(t, err, registry.ErrAccessDenied)
	assert.ErrorIs(t, err, objerr.ErrAccessDenied)
	assert.ErrorContains(t, err, "bind from 127.0.0.2")
	assert.ErrorIs(t, c.Rebind(ctx, "calc", ref), registry.ErrAccessDenied)

	near := newRuntime(t, remote.Options{})
	require.NoError(t, dial(t, near, srv.URL()).Bind(ctx, "calc", ref), "the same Bind from the registry's host")
	assert.ErrorIs(t, c.Unbind(ctx, "calc"), registry.ErrAccessDenied)

	// Lookup and List stay open.
	calc, err := registry.LookupIn[testsvc.Calculator](ctx, c, "calc")
	require.NoError(t, err)
	_, err = calc.Add(ctx, 1, 1)
	require.NoError(t, err)
	names, err := c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"calc"}, names)
}

// A pluggable rule sees the caller and the operation, and its refusal
// comes before the method runs.
func TestCustomAccess(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	srv, _ := startRegistry(t, registry.Options{Access: func(ctx context.Context, op registry.Op) error {
		id, _ := remote.Caller(ctx)
		mu.Lock()
		seen = append(seen, string(op))
		mu.Unlock()
		if op == registry.OpUnbind {
			return fmt.Errorf("%s may not %s", id, op)
		}
		return nil
	}}, remote.Options{})
	owner, ref, _ := exportCalc(t, remote.Options{})
	c := dial(t, owner, srv.URL())
	require.NoError(t, c.Bind(ctxT(t), "open", ref))
	err := c.Unbind(ctxT(t), "open")
	assert.ErrorIs(t, err, registry.ErrAccessDenied)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorContains(t, err, owner.ID().String())
	names, err := c.List(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"open"}, names, "the refused Unbind never ran")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"bind", "unbind"}, seen)
}

// relay is an object on the registry's runtime that binds through a
// registry client of that same runtime, passing on its own caller's
// context.
type relay struct {
	*testsvc.Calc
	reg *registry.Client
	ref remote.Ref
}

func (r *relay) Add(ctx context.Context, a, b int64) (int64, error) {
	return 0, r.reg.Bind(ctx, "sneaky", r.ref)
}

// A remote caller cannot launder a Bind through another object of the
// registry's runtime: the registry's rule still sees that caller.
func TestAccessHoldsForCallsRelayedInProcess(t *testing.T) {
	rt := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	srv, err := registry.Serve(rt, registry.Options{})
	require.NoError(t, err)
	defer srv.Close()
	_, ref, _ := exportCalc(t, remote.Options{})
	r := &relay{Calc: testsvc.NewCalc(), reg: dial(t, rt, srv.URL()), ref: ref}
	relayRef, err := remote.Export[testsvc.Calculator](rt, r, remote.Collectable())
	require.NoError(t, err)

	far := newRuntime(t, remote.Options{Dial: fromAddr("127.0.0.2")})
	calc, err := remote.StubOf[testsvc.Calculator](far, relayRef)
	require.NoError(t, err)
	defer remote.Release(calc)
	_, err = calc.Add(ctxT(t), 1, 1)
	assert.ErrorContains(t, err, "bind from 127.0.0.2: only callers on the registry's host may change bindings")
	names, err := r.reg.List(ctxT(t))
	require.NoError(t, err)
	assert.Empty(t, names)
}
