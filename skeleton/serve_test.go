package skeleton_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/objerr"
	_ "github.com/objrmi/objrmi/skeleton" // fills in link.NewSkeleton
)

// Each variadic method gets its variadic arguments as the one slice it
// declares, with none, one or several of them.
func TestServeVariadic(t *testing.T) {
	it, _, sk := newShapes(t)
	m := it.ByName("Sum")
	for _, c := range []struct {
		xs   []int64
		want int64
	}{{nil, 1}, {[]int64{2}, 3}, {[]int64{2, 3, 4}, 10}} {
		r, err := serve(sk, m, encodeArgs(t, m, int64(1), c.xs))
		require.NoError(t, err)
		require.Equal(t, objerr.Code(0), r.code, r.body.Message)
		assert.Equal(t, c.want, r.out[0].Int())
	}
	m = it.ByName("Peers")
	r, err := serve(sk, m, encodeArgs(t, m, []Peer{pinger{}, nil}))
	require.NoError(t, err)
	require.Equal(t, objerr.Code(0), r.code, r.body.Message)
	ps := r.out[0].Interface().([]Peer)
	require.Len(t, ps, 2)
	assert.Equal(t, pinger{}, ps[0])
	assert.Nil(t, ps[1])
}

// Bomb is a result whose encoder panics.
type Bomb struct{}

func (Bomb) MarshalMsgpack() ([]byte, error) { panic("bomb encoder") }
func (*Bomb) UnmarshalMsgpack([]byte) error  { return nil }

// trapErr is an error whose Is panics, so matching it against the
// registered codes panics.
type trapErr struct{}

func (trapErr) Error() string   { return "trap" }
func (trapErr) Is(e error) bool { panic("trap Is") }

// After is served by an object whose methods return normally; what
// panics is objrmi's handling of what they returned.
type After interface {
	Result(ctx context.Context) (Bomb, error)
	Fail(ctx context.Context) error
	Panic(ctx context.Context) error
}

type after struct{}

func (after) Result(context.Context) (Bomb, error) { return Bomb{}, nil }
func (after) Fail(context.Context) error           { return trapErr{} }
func (after) Panic(context.Context) error          { panic("inside") }

// A panic after the method returned (encoding its results, matching its
// error) is not the method's panic: the method ran and returned, so the
// caller is told its results could not be sent. Only a panic inside the
// method is CodePanic.
func TestPanicOutsideTheMethodIsNotTheMethods(t *testing.T) {
	it, err := iface.For[After]()
	require.NoError(t, err)
	sk, err := link.NewSkeleton(it, after{})
	require.NoError(t, err)
	codes := map[string]objerr.Code{
		"Result": objerr.CodeEncoding,
		"Fail":   objerr.CodeEncoding,
		"Panic":  objerr.CodePanic,
	}
	for name, want := range codes {
		m := it.ByName(name)
		e := env()
		if name == "Fail" {
			require.NoError(t, e.Codes.Register("any", errors.New("registered")))
		}
		r, err := serveEnv(sk, m, encodeArgs(t, m), e)
		require.NoError(t, err, name)
		assert.Equal(t, want, r.code, "%s: %s", name, r.body.Message)
	}
}

// New checks the method table against the object's methods once, so
// that reflection cannot panic in a call: a table that does not match
// is refused, not served until a call panics.
func TestNewRefusesAMismatchedTable(t *testing.T) {
	it, err := iface.For[Shapes]()
	require.NoError(t, err)
	bad := *it
	bad.Methods = append([]*iface.Method(nil), it.Methods...)
	sum := *it.ByName("Sum")
	sum.In = []*iface.Shape{sum.In[0], sum.In[0]} // ...int64 declared as int64
	bad.Methods[sum.Index] = &sum
	_, err = link.NewSkeleton(&bad, &shapes{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Sum")
}
