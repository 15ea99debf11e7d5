package skeleton_test

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	_ "github.com/objrmi/objrmi/skeleton" // fills in link.NewSkeleton
)

// Peer is passed by reference.
type Peer interface {
	Ping(ctx context.Context) (int, error)
}

// Rec is a struct that nests a slice, a map, a pointer to itself, a
// remote interface and a time.
type Rec struct {
	ID    int64
	Name  string
	Tags  []string
	Attrs map[string]int
	Next  *Rec
	Peer  Peer
	When  time.Time
}

// Shapes has a method for every kind of parameter a skeleton decodes:
// scalars, structs, pointers, slices, maps, remote interfaces, any, and
// a variadic of each. Its methods hand their arguments back, so the
// results are encoded too.
type Shapes interface {
	Scalars(ctx context.Context, i int64, u uint8, s string, b []byte, f float64, ok bool) (int64, error)
	Struct(ctx context.Context, r Rec) (Rec, error)
	Ptr(ctx context.Context, r *Rec) (*Rec, error)
	Slices(ctx context.Context, rs []Rec, ns [][]int, ps []*Rec) (int, error)
	Maps(ctx context.Context, m map[string]Rec, k map[int64][]string, p map[string]Peer) (int, error)
	Remote(ctx context.Context, p Peer, q Peer) (Peer, error)
	Any(ctx context.Context, v any, vs ...any) ([]any, error)
	Sum(ctx context.Context, base int64, xs ...int64) (int64, error)
	Strings(ctx context.Context, xs ...string) ([]string, error)
	Peers(ctx context.Context, ps ...Peer) ([]Peer, error)
	Recs(ctx context.Context, tag string, rs ...Rec) ([]Rec, error)
	PtrRecs(ctx context.Context, rs ...*Rec) ([]*Rec, error)
	Nested(ctx context.Context, xs ...[]map[string]int) (int, error)
	// Boom is the only method that panics.
	Boom(ctx context.Context, msg string, xs ...int) error
}

// shapes implements Shapes. panics counts the panics raised by its own
// code, so a test can tell a panic of the method from one around it.
type shapes struct {
	panics atomic.Int64
}

func (*shapes) Scalars(_ context.Context, i int64, u uint8, s string, b []byte, f float64, ok bool) (int64, error) {
	n := i + int64(u) + int64(len(s)+len(b))
	if ok && f > 0 {
		n++
	}
	return n, nil
}

func (*shapes) Struct(_ context.Context, r Rec) (Rec, error) { return r, nil }
func (*shapes) Ptr(_ context.Context, r *Rec) (*Rec, error)  { return r, nil }

func (*shapes) Slices(_ context.Context, rs []Rec, ns [][]int, ps []*Rec) (int, error) {
	n := len(rs) + len(ps)
	for _, x := range ns {
		n += len(x)
	}
	return n, nil
}

func (*shapes) Maps(ctx context.Context, m map[string]Rec, k map[int64][]string, p map[string]Peer) (int, error) {
	n := len(m) + len(k)
	for _, q := range p {
		if q != nil {
			x, err := q.Ping(ctx)
			if err != nil {
				return 0, err
			}
			n += x
		}
	}
	return n, nil
}

func (*shapes) Remote(_ context.Context, p, q Peer) (Peer, error) {
	if p == nil {
		return q, nil
	}
	return p, nil
}

func (*shapes) Any(_ context.Context, v any, vs ...any) ([]any, error) { return append(vs, v), nil }

func (*shapes) Sum(_ context.Context, base int64, xs ...int64) (int64, error) {
	for _, x := range xs {
		base += x
	}
	return base, nil
}

func (*shapes) Strings(_ context.Context, xs ...string) ([]string, error) { return xs, nil }

func (*shapes) Peers(ctx context.Context, ps ...Peer) ([]Peer, error) {
	for _, p := range ps {
		if p != nil {
			if _, err := p.Ping(ctx); err != nil {
				return nil, err
			}
		}
	}
	return ps, nil
}

func (*shapes) Recs(_ context.Context, tag string, rs ...Rec) ([]Rec, error) {
	for i := range rs {
		rs[i].Tags = append(rs[i].Tags, tag)
	}
	return rs, nil
}

func (*shapes) PtrRecs(_ context.Context, rs ...*Rec) ([]*Rec, error) { return rs, nil }

func (*shapes) Nested(_ context.Context, xs ...[]map[string]int) (int, error) {
	n := 0
	for _, x := range xs {
		for _, m := range x {
			n += len(m)
		}
	}
	return n, nil
}

func (s *shapes) Boom(_ context.Context, msg string, xs ...int) error {
	s.panics.Add(1)
	panic(fmt.Sprintf("boom: %s %v", msg, xs))
}

// pinger is the one object the test refs resolve to.
type pinger struct{}

func (pinger) Ping(context.Context) (int, error) { return 1, nil }

// knownObject is the object number testRefs resolves; any other is
// unknown, as it would be to a runtime.
const knownObject = 7

var testRuntime = uuid.MustParse("6f1c2d8e-0000-4000-8000-000000000001")

// testRefs stands in for the runtime's reference table, which is not
// what these tests are about: every remote value is encoded as the
// known object, which decodes back to a pinger.
type testRefs struct{}

func (testRefs) EncodeRef(_ reflect.Value, it *iface.Interface) (wire.Ref, error) {
	return wire.Ref{Runtime: testRuntime, Endpoint: "127.0.0.1:1", Object: knownObject, Iface: it.Name}, nil
}

func (testRefs) DecodeRef(r *wire.Ref, it *iface.Interface) (reflect.Value, error) {
	if r.Object != knownObject || r.Iface != it.Name {
		return reflect.Value{}, fmt.Errorf("no object %d of %s", r.Object, r.Iface)
	}
	return reflect.ValueOf(pinger{}), nil
}

func (testRefs) PassRef(r wire.Ref) (wire.Ref, error) { return r, nil }

func env() *link.Env {
	return &link.Env{Refs: testRefs{}, Codes: &objerr.Codes{}, Logger: slog.New(slog.DiscardHandler)}
}

// encodeArgs encodes args for m as a stub sends them.
func encodeArgs(t testing.TB, m *iface.Method, args ...any) []byte {
	t.Helper()
	var b wire.Buffer
	e := wire.NewEncoder(&b)
	defer e.Release()
	require.NoError(t, codec.EncodeList(e, m.In, args, testRefs{}))
	return b.B
}

// reply is a decoded reply frame.
type reply struct {
	id   uint64
	code objerr.Code
	body wire.ErrorBody
	out  []reflect.Value // the results, when code is 0
}

// serve runs one call of m with the encoded args through sk and decodes
// its reply. A reply that does not decode is an error.
func serve(sk link.Skeleton, m *iface.Method, args []byte) (reply, error) {
	return serveEnv(sk, m, args, env())
}

// serveEnv is serve with the given environment.
func serveEnv(sk link.Skeleton, m *iface.Method, args []byte, e *link.Env) (reply, error) {
	const id = 42
	d := wire.NewDecoder(args)
	defer d.Release()
	b := sk.Serve(context.Background(), &wire.CallHeader{ID: id, Object: knownObject, Method: m.Hash}, d, e)
	defer b.Release()
	frame := b.Bytes()[4:] // the length prefix off
	if wire.Kind(frame[0]) != wire.KindReturn {
		return reply{}, fmt.Errorf("reply of kind %s", wire.Kind(frame[0]))
	}
	rd := wire.NewDecoder(frame[1:])
	defer rd.Release()
	var rh wire.ReturnHeader
	if err := wire.ReadReturn(rd, &rh); err != nil {
		return reply{}, fmt.Errorf("reply header: %w", err)
	}
	r := reply{id: rh.ID, code: rh.Code}
	if r.id != id {
		return r, fmt.Errorf("reply to call %d, want %d", r.id, id)
	}
	if r.code != 0 {
		if err := wire.ReadError(rd, &r.body); err != nil {
			return r, fmt.Errorf("error body: %w", err)
		}
		return r, nil
	}
	r.out = make([]reflect.Value, len(m.Out))
	for i, sh := range m.Out {
		r.out[i] = reflect.New(sh.Type).Elem()
	}
	if err := codec.DecodeValues(rd, m.Out, r.out, testRefs{}); err != nil {
		return r, fmt.Errorf("results: %w", err)
	}
	return r, nil
}

func newShapes(t testing.TB) (*iface.Interface, *shapes, link.Skeleton) {
	t.Helper()
	it, err := iface.For[Shapes]()
	require.NoError(t, err)
	impl := &shapes{}
	sk, err := link.NewSkeleton(it, impl)
	require.NoError(t, err)
	return it, impl, sk
}
