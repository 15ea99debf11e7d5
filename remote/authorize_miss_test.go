package remote_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// Issue 12, item 11: with a rule set, a call to an object or a method
// that does not exist goes through the rule like any other. A refused
// caller gets one refusal, byte for byte, whether the object number and
// the method exist or not, and never the object's signatures; an allowed
// caller is told what is missing.
func TestRefusedCallerLearnsNothingAboutObjects(t *testing.T) {
	allowed := uuid.New()
	var mu sync.Mutex
	var seen []remote.Call
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0",
		Authorize: func(_ context.Context, c remote.Call) error {
			mu.Lock()
			seen = append(seen, c)
			mu.Unlock()
			if c.Caller != allowed {
				return errors.New("only the allowed runtime may call")
			}
			return nil
		}})
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	// Its own rule, and no runtime rule, on another runtime.
	own := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	_, err = remote.Export[testsvc.Calculator](own, testsvc.NewCalc(), remote.WithID(calcID),
		remote.WithAuthorize(func(context.Context, remote.Call) error { return errors.New("this object is private") }))
	require.NoError(t, err)

	add := ifaceOf[testsvc.Calculator](t).ByName("Add")
	args := []any{int64(1), int64(2)}
	type probe struct {
		what   string
		object uint64
		hash   uint64
		name   string
	}
	probes := []probe{
		{"a known method", calcID, add.Hash, ""},
		{"an unknown object", 999_999, add.Hash, ""},
		{"an unknown object, by name", 999_999, 0, "Bogus"},
		{"an unknown method hash", calcID, 0xdead_beef, ""},
		{"an unknown method name", calcID, 0, "Bogus"},
	}
	ask := func(endpoint string, as uuid.UUID) (codes []objerr.Code, msgs []string) {
		nc, br := rawHandshakeAs(t, endpoint, as)
		for i, p := range probes {
			_, err := nc.Write(callFrameOf(t, uint64(i+1), p.object, p.hash, p.name, add.In, args, nil))
			require.NoError(t, err)
			code, msg := readReply(t, nc, br, uint64(i+1))
			t.Logf("%s: %v: %s", p.what, code, msg)
			codes, msgs = append(codes, code), append(msgs, msg)
		}
		return codes, msgs
	}

	// An export's own rule hides its methods; only the runtime's rule
	// sees calls to numbers that are not exported, and hides those too.
	for name, target := range map[string]*remote.Runtime{"runtime rule": srv, "export's own rule": own} {
		t.Run(name, func(t *testing.T) {
			codes, msgs := ask(target.Endpoint(), uuid.New())
			for i, p := range probes {
				if target == own && p.object != calcID {
					assert.Equal(t, objerr.CodeNoSuchObject, codes[i], p.what)
					continue
				}
				assert.Equal(t, objerr.CodeAccessDenied, codes[i], p.what)
				assert.Equal(t, msgs[0], msgs[i], "%s is refused exactly as a known method is", p.what)
				assert.NotContains(t, msgs[i], "Calculator", p.what)
				assert.NotContains(t, msgs[i], "Add(", p.what)
			}
		})
	}

	codes, msgs := ask(srv.Endpoint(), allowed)
	assert.Equal(t, []objerr.Code{0, objerr.CodeNoSuchObject, objerr.CodeNoSuchObject, objerr.CodeNoSuchMethod, objerr.CodeNoSuchMethod}, codes)
	assert.Contains(t, msgs[3], "Add(", "an allowed caller learns the signatures")

	// What the rule saw for each miss.
	mu.Lock()
	defer mu.Unlock()
	calls := slices.DeleteFunc(slices.Clone(seen), func(c remote.Call) bool { return c.Caller != allowed })
	require.Len(t, calls, len(probes))
	for i, want := range [][2]string{{"Calculator", "Add"}, {"", ""}, {"", "Bogus"}, {"Calculator", ""}, {"Calculator", "Bogus"}} {
		assert.Equal(t, want, [2]string{calls[i].Interface, calls[i].Method}, probes[i].what)
		assert.Equal(t, probes[i].object, calls[i].Object, probes[i].what)
	}
}

// Issue 12, item 8: the DGC's Inspect, which tells who holds an object,
// is closed to other runtimes unless Options.Authorize allows it; the
// owner itself can always look.
func TestDGCInspectIsClosedByDefault(t *testing.T) {
	srv, _, cli, calc := pair(t)
	counter, err := calc.NewCounter(ctxT(t), 1)
	require.NoError(t, err)
	defer remote.Release(counter)
	require.NoError(t, cli.Confirm(ctxT(t), counter))
	ref, _ := remote.RefOf(counter)

	_, err = cli.Holders(ctxT(t), ref)
	require.ErrorIs(t, err, objerr.ErrAccessDenied)
	assert.ErrorContains(t, err, "not disclosed")

	o, err := srv.Holders(ctxT(t), ref)
	require.NoError(t, err)
	require.Len(t, o.Holders, 1)
	assert.Equal(t, cli.ID(), o.Holders[0].Runtime)

	open := newRuntime(t, remote.Options{Listen: "127.0.0.1:0",
		Authorize: func(context.Context, remote.Call) error { return nil }})
	_, err = remote.Export[testsvc.Calculator](open, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	calc2, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, open.Endpoint(), calcID)
	require.NoError(t, err)
	counter2, err := calc2.NewCounter(ctxT(t), 1)
	require.NoError(t, err)
	defer remote.Release(counter2)
	require.NoError(t, cli.Confirm(ctxT(t), counter2))
	ref2, _ := remote.RefOf(counter2)
	o, err = cli.Holders(ctxT(t), ref2)
	require.NoError(t, err, "an Authorize that allows Inspect discloses the holders")
	assert.Len(t, o.Holders, 1)
}
