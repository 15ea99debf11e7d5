package remote_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
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
	"github.com/objrmi/objrmi/remote"
)

// handCall writes a hand-made call of method (of interface T) on object
// obj, with args encoded as the method declares them.
func handCall[T any](t *testing.T, nc net.Conn, id, obj uint64, method string, args ...any) {
	t.Helper()
	it, err := iface.For[T]()
	require.NoError(t, err)
	m := it.ByName(method)
	b := wire.GetBuffer(wire.KindCall)
	e := wire.NewEncoder(b)
	require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{ID: id, Object: obj, Method: m.Hash}))
	require.NoError(t, codec.EncodeList(e, m.In, args, nil))
	e.Release()
	nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = nc.Write(bytes.Clone(b.Bytes()))
	b.Release()
	require.NoError(t, err)
}

// handReply reads until the reply to a hand-made call and decodes its
// results (of method of interface T) into ptrs; a failed reply comes back
// as its code and message.
func handReply[T any](t *testing.T, nc net.Conn, br *bufio.Reader, method string, ptrs ...any) error {
	t.Helper()
	it, err := iface.For[T]()
	require.NoError(t, err)
	nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		f, err := wire.ReadFrame(br, 16<<20)
		require.NoError(t, err)
		if f.Kind() != wire.KindReturn {
			f.Release()
			continue
		}
		d := wire.NewDecoder(f.Body())
		var h wire.ReturnHeader
		require.NoError(t, wire.ReadReturn(d, &h))
		if h.Code != 0 {
			var eb wire.ErrorBody
			require.NoError(t, wire.ReadError(d, &eb))
			return fmt.Errorf("code %d (%s): %s", h.Code, h.Code, eb.Message)
		}
		require.NoError(t, codec.DecodeList(d, it.ByName(method).Out, ptrs, nil))
		return nil
	}
}

// Issue 12 item 9: object numbers are sequential, so a peer can name any
// of them in a Dirty. A claim without proof (the object was never sent
// to it, and it has no key) is refused, in words that do not tell
// whether the number exists, and the object is collected as soon as its
// real holder lets go.
func TestGuessedDirtyCannotPinAnObject(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"}) // Lease at its default, 30 s
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	k, err := dialCalc(t, cli, srv.Endpoint()).NewCounter(ctxT(t), 5)
	require.NoError(t, err)
	ref, _ := remote.RefOf(k)
	waitHolders(t, srv, ref, 1)

	nc, br := rawHandshake(t, srv.Endpoint())
	guessed, never := ref.Object, ref.Object+1000
	handCall[gc.Service](t, nc, 1, 1, "Dirty", gc.Dirty{Seq: 1, Objects: []uint64{guessed, never}})
	var g gc.Grant
	require.NoError(t, handReply[gc.Service](t, nc, br, "Dirty", &g))
	refused := func(obj uint64) gc.Missing {
		return gc.Missing{Object: obj, Reason: fmt.Sprintf("object %d is not exported by this runtime, or this reference to it is not valid", obj)}
	}
	assert.Equal(t, []gc.Missing{refused(guessed), refused(never)}, g.Missing,
		"both claims refused, an object that exists and one that does not alike")
	assert.Equal(t, []uuid.UUID{cli.ID()}, holderIDs(srv, ref), "the guesser is no holder")

	released := time.Now()
	remote.Release(k)
	select {
	case got := <-impl.Unreferenced:
		assert.Equal(t, int64(5), got)
		t.Logf("collected %v after its real holder released it", time.Since(released).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatalf("the guesser's Dirty keeps object %d alive (holders %v)", guessed, holderIDs(srv, ref))
	}
}
