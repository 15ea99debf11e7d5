package remote_test

import (
	"bufio"
	"bytes"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Hand-made frames, for peers that do what no runtime would.

// callFrameOf builds one call frame: method is a hash, or 0 with name set
// (a dynamic call); vals are encoded by shapes, remote interfaces through
// refs.
func callFrameOf(t *testing.T, id, object, method uint64, name string, shapes []*iface.Shape, vals []any, refs codec.Refs) []byte {
	t.Helper()
	b := wire.GetBuffer(wire.KindCall)
	defer b.Release()
	e := wire.NewEncoder(b)
	defer e.Release()
	require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{ID: id, Object: object, Method: method, Name: name}))
	require.NoError(t, codec.EncodeList(e, shapes, vals, refs))
	return bytes.Clone(b.Bytes())
}

// readReply reads frames from br until the reply to call id, and returns
// its code and, for an error, its message. Other frames are skipped.
func readReply(t *testing.T, nc net.Conn, br *bufio.Reader, id uint64) (objerr.Code, string) {
	t.Helper()
	code, msg, err := tryReadReply(nc, br, id)
	require.NoError(t, err, "waiting for the reply to call %d", id)
	return code, msg
}

// tryReadReply is readReply for a goroutine other than the test's.
func tryReadReply(nc net.Conn, br *bufio.Reader, id uint64) (objerr.Code, string, error) {
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer nc.SetReadDeadline(time.Time{})
	for {
		f, err := wire.ReadFrame(br, 1<<20)
		if err != nil {
			return 0, "", err
		}
		code, msg, ok, err := replyTo(f, id)
		f.Release()
		if err != nil || ok {
			return code, msg, err
		}
	}
}

func replyTo(f *wire.Frame, id uint64) (code objerr.Code, msg string, ok bool, err error) {
	if f.Kind() != wire.KindReturn {
		return 0, "", false, nil
	}
	d := wire.NewDecoder(f.Body())
	defer d.Release()
	var h wire.ReturnHeader
	if err := wire.ReadReturn(d, &h); err != nil || h.ID != id {
		return 0, "", false, err
	}
	var eb wire.ErrorBody
	if h.Code != 0 {
		err = wire.ReadError(d, &eb)
	}
	return h.Code, eb.Message, true, err
}

// forgedRefs encodes every remote-interface value as one chosen
// reference: a client that lies about what it passes.
type forgedRefs struct{ ref wire.Ref }

func (f forgedRefs) EncodeRef(reflect.Value, *iface.Interface) (wire.Ref, error) { return f.ref, nil }
func (f forgedRefs) PassRef(r wire.Ref) (wire.Ref, error)                        { return r, nil }
func (f forgedRefs) DecodeRef(*wire.Ref, *iface.Interface) (reflect.Value, error) {
	return reflect.Value{}, nil
}

func ifaceOf[T any](t *testing.T) *iface.Interface {
	t.Helper()
	it, err := iface.For[T]()
	require.NoError(t, err)
	return it
}

// rawHandshakeAs is rawHandshake presenting runtime id.
func rawHandshakeAs(t *testing.T, endpoint string, id uuid.UUID) (net.Conn, *bufio.Reader) {
	nc, err := net.Dial("tcp", endpoint)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	require.NoError(t, wire.WriteHello(nc, &wire.Hello{Runtime: id}))
	br := bufio.NewReader(nc)
	var h wire.Hello
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	require.NoError(t, wire.ReadHello(br, &h))
	require.Empty(t, h.Refusal)
	nc.SetReadDeadline(time.Time{})
	return nc, br
}
