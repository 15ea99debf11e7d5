package codec_test

import (
	"context"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/wire"
)

// Peer is passed by reference.
type Peer interface {
	Ping(ctx context.Context) error
}

// Inner nests a slice, a map and a pointer to itself.
type Inner struct {
	Tags  []string
	Attrs map[string]int
	Next  *Inner
}

// Record is walked: Meta is untyped. Stamp, inside it, is not.
type Record struct {
	ID    int64
	Inner Inner
	Ptr   *Inner
	Meta  map[string]any
	When  time.Time
	Stamp *Stamp
}

// Stamp is a msgpack extension, registered under stampExt, as some
// package in a process may well register a type: a gadget if the wire
// could have it built where any is declared.
type Stamp struct{ N uint64 }

const stampExt = 77

func init() { msgpack.RegisterExt(stampExt, (*Stamp)(nil)) }

func (s *Stamp) MarshalMsgpack() ([]byte, error) {
	return binary.BigEndian.AppendUint64(nil, s.N), nil
}

func (s *Stamp) UnmarshalMsgpack(b []byte) error {
	if len(b) != 8 {
		return errors.New("stamp: want 8 bytes")
	}
	s.N = binary.BigEndian.Uint64(b)
	return nil
}

// Rich mixes every kind of parameter the codec handles.
type Rich interface {
	Scalars(ctx context.Context, i int64, s string, b []byte, f float64, ok bool) error
	Lists(ctx context.Context, ss []string, m map[string]int) error
	Record(ctx context.Context, r Record) error
	Any(ctx context.Context, v any) error
	AnyKeys(ctx context.Context, m map[any]string) error
	Time(ctx context.Context, t time.Time) error
	Peer(ctx context.Context, p Peer, label string) error
	Stamp(ctx context.Context, s *Stamp) error
}

func richMethod(t testing.TB, name string) *iface.Method {
	it, err := iface.For[Rich]()
	require.NoError(t, err)
	m := it.ByName(name)
	require.NotNil(t, m, name)
	return m
}

// testRefs hands out one fixed reference and decodes every reference to
// a nil interface: enough to exercise the walker without a runtime.
type testRefs struct{}

func (testRefs) EncodeRef(_ reflect.Value, it *iface.Interface) (wire.Ref, error) {
	return wire.Ref{Endpoint: "test:1", Object: 7, Iface: it.Name}, nil
}

func (testRefs) DecodeRef(_ *wire.Ref, it *iface.Interface) (reflect.Value, error) {
	return reflect.Zero(it.Type), nil
}

func (testRefs) PassRef(r wire.Ref) (wire.Ref, error) { return r, nil }

// encodeArgs encodes a call's arguments as a stub does.
func encodeArgs(t testing.TB, m *iface.Method, args ...any) []byte {
	var b wire.Buffer
	e := wire.NewEncoder(&b)
	defer e.Release()
	require.NoError(t, codec.EncodeList(e, m.In, args, testRefs{}))
	return b.B
}

// decodeArgs decodes p into m's parameter types as a skeleton does, but
// without Validate: the codec must hold on its own.
func decodeArgs(m *iface.Method, p []byte) ([]reflect.Value, error) {
	d := wire.NewDecoder(p)
	defer d.Release()
	in := make([]reflect.Value, len(m.In))
	for i, sh := range m.In {
		in[i] = reflect.New(sh.Type).Elem()
	}
	return in, codec.DecodeValues(d, m.In, in, testRefs{})
}
