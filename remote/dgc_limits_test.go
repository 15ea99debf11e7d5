package remote_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// heapInUse is the live heap after full collections, in bytes. Two:
// the frame and buffer pools (sync.Pool) keep what the first moves to
// their victim caches until the second.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

const mib = 1 << 20

// Issue 12 item 10: a Clean{Strong} listing a million numbers that were
// never exported used to keep a tombstone for each, for a lease. Now a
// strong clean keeps one number per holder, whatever it lists.
func TestStrongCleanOfUnknownNumbersKeepsNothing(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	nc, br := rawHandshake(t, srv.Endpoint())
	before := heapInUse()
	func() {
		objs := make([]uint64, 1_000_000)
		for i := range objs {
			objs[i] = 1<<40 + uint64(i)
		}
		handCall[gc.Service](t, nc, 1, 1, "Clean", gc.Clean{Seq: 1, Objects: objs, Strong: true})
	}()
	require.NoError(t, handReply[gc.Service](t, nc, br, "Clean"))
	after := heapInUse()
	grew := int64(after) - int64(before)
	t.Logf("heap %d KiB before, %d KiB after a strong clean of 1,000,000 unknown numbers (%+d KiB)", before>>10, after>>10, grew>>10)
	assert.Less(t, grew, int64(16*mib), "the owner keeps (almost) nothing for numbers it never exported")
	runtime.KeepAlive(srv)
}

// fakeRefs encodes every remote-interface value as the next of refs,
// as a hostile peer writes whatever references it likes.
type fakeRefs struct{ refs []wire.Ref }

func (f *fakeRefs) EncodeRef(reflect.Value, *iface.Interface) (wire.Ref, error) {
	r := f.refs[0]
	f.refs = f.refs[1:]
	return r, nil
}
func (f *fakeRefs) DecodeRef(*wire.Ref, *iface.Interface) (reflect.Value, error) {
	return reflect.Value{}, errors.New("not used")
}
func (f *fakeRefs) PassRef(r wire.Ref) (wire.Ref, error) { return r, nil }

// nopCounter is a local Counter; each one is a distinct object.
type nopCounter struct{ n int64 }

func (c *nopCounter) Incr(_ context.Context, by int64) (int64, error) { c.n += by; return c.n, nil }
func (c *nopCounter) Get(context.Context) (int64, error)              { return c.n, nil }

// handCallRefs writes a hand-made Calculator call whose references are
// refs, in order.
func handCallRefs(t *testing.T, nc net.Conn, method string, refs []wire.Ref, args ...any) {
	t.Helper()
	it, err := iface.For[testsvc.Calculator]()
	require.NoError(t, err)
	m := it.ByName(method)
	b := wire.GetBuffer(wire.KindCall)
	e := wire.NewEncoder(b)
	require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{ID: 1, Object: calcID, Method: m.Hash}))
	require.NoError(t, codec.EncodeList(e, m.In, args, &fakeRefs{refs}))
	e.Release()
	nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = nc.Write(bytes.Clone(b.Bytes()))
	b.Release()
	require.NoError(t, err)
}

// Issue 12 item 10: one call carrying 50,000 references to distinct
// runtimes that do not exist used to start a goroutine per unknown owner
// (50,012 in all). An owner now costs no goroutine, and one peer can
// introduce only MaxOwnersPerPeer (256) of them: the call is refused
// with CodeLimit, and the goroutines stay few.
func TestReferencesToUnknownRuntimesCostNoGoroutines(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	nc, br := rawHandshake(t, srv.Endpoint())
	const n = 50_000
	refs := make([]wire.Ref, n+1)
	extra := make([]testsvc.Counter, n)
	for i := range refs {
		refs[i] = wire.Ref{Runtime: uuid.New(), Endpoint: "127.0.0.1:1", Object: 5000, Iface: "Counter", Key: uint64(i + 1)}
		if i < n {
			extra[i] = &nopCounter{}
		}
	}
	goroutines, heap := runtime.NumGoroutine(), heapInUse()
	handCallRefs(t, nc, "Holder", refs, testsvc.Holder{Counter: &nopCounter{}, Extra: extra})
	err = handReply[testsvc.Calculator](t, nc, br, "Holder", new(int64))
	peak := runtime.NumGoroutine()
	grew := int64(heapInUse()) - int64(heap)
	t.Logf("a call with %d references to distinct unknown runtimes: %v; goroutines %d before, %d after; heap %+d KiB; %d references held",
		n, err, goroutines, peak, grew>>10, len(srv.Inspect().Held))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MaxOwnersPerPeer")
	assert.Contains(t, err.Error(), "code 14", "CodeLimit")
	assert.Less(t, peak-goroutines, 100, "no goroutine per unknown owner")
	assert.LessOrEqual(t, len(srv.Inspect().Held), 256)
}

// Issue 12 item 10: one client passing a great many callback objects
// used to have them all accepted (a million took 867 MiB). Past
// MaxRefsPerPeer (16,384) the call is refused, not run, with
// objerr.ErrLimit; once the refused references are collected, the client
// is served again.
func TestOnePeerCannotMakeAServerHoldUnboundedCallbacks(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	calc := dialCalc(t, cli, srv.Endpoint())
	const n = 20_000
	extra := make([]testsvc.Counter, n)
	for i := range extra {
		extra[i] = &nopCounter{}
	}
	ctx := ctxT(t)
	_, err = calc.Holder(ctx, testsvc.Holder{Counter: &nopCounter{}, Extra: extra})
	t.Logf("passing %d callbacks in one call: %v", n+1, err)
	require.Error(t, err)
	assert.ErrorIs(t, err, objerr.ErrLimit)
	assert.ErrorIs(t, err, objerr.ErrNotSent, "the method did not run")
	assert.Contains(t, err.Error(), "MaxRefsPerPeer")
	held := 0
	for _, h := range srv.Inspect().Held {
		if h.Ref.Runtime == cli.ID() {
			held++
		}
	}
	assert.LessOrEqual(t, held, 16_384)

	require.Eventually(t, func() bool {
		runtime.GC() // the stubs of the refused call go, and with them its references
		_, err := calc.Holder(ctx, testsvc.Holder{Counter: &nopCounter{}, Extra: extra[:10]})
		return err == nil
	}, 20*time.Second, 100*time.Millisecond, "the client is served again")
}
