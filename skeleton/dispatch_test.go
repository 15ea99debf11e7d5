package skeleton_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/skeleton"
	"github.com/objrmi/objrmi/stub"
)

// newReflectShapes is newShapes with a skeleton that ignores the
// generated server code (objstub_gen_test.go) and serves by reflection.
func newReflectShapes(t testing.TB) link.Skeleton {
	t.Helper()
	defer skeleton.WithoutGenerated()()
	it, err := iface.For[Shapes]()
	require.NoError(t, err)
	sk, err := link.NewSkeleton(it, &shapes{})
	require.NoError(t, err)
	return sk
}

// badArgs are argument lists that must be refused, as encoded by a
// client whose interface differs, or by a hostile one.
func badArgs() map[string][]byte {
	return map[string][]byte{
		"sum_too_many":     {0x93, 0x01, 0x91, 0x02, 0x03},
		"sum_too_few":      {0x91, 0x01},
		"strings":          {0x92, 0xa1, 'a', 0x91, 0xa1, 'b'},
		"scalars_none":     {0x90},
		"not_a_list":       {0xc0},
		"truncated":        {0x92, 0x01},
		"struct_as_int":    {0x91, 0x07},
		"remote_as_string": {0x92, 0xa1, 'x', 0xc0},
	}
}

// Generated server code answers exactly as reflection does: the same
// code, message and results for every seed, and for arguments that do
// not match the method, whichever method gets them.
func TestGeneratedAndReflectionAgree(t *testing.T) {
	it, _, fast := newShapes(t)
	slow := newReflectShapes(t)
	cases := map[string][]byte{}
	for name, p := range seeds(t) {
		cases[name] = p
	}
	for name, args := range badArgs() {
		for _, m := range it.Methods {
			cases[name+"/"+m.Name] = append([]byte{byte(m.Index)}, args...)
		}
	}
	for name, p := range cases {
		m := it.Methods[p[0]]
		want, err := serve(slow, m, p[1:])
		require.NoError(t, err, name)
		got, err := serve(fast, m, p[1:])
		require.NoError(t, err, name)
		assert.Equal(t, want.code, got.code, name)
		assert.Equal(t, want.body, got.body, name)
		assert.Equal(t, values(want), values(got), name)
	}
}

func values(r reply) []any {
	var vs []any
	for _, v := range r.out {
		vs = append(vs, v.Interface())
	}
	return vs
}

// A method of an interface with generated server code is called by that
// code, not through reflect.Value.Call: the stack of its panic shows it.
func TestGeneratedServerRunsWithoutReflection(t *testing.T) {
	it, _, sk := newShapes(t)
	var logged bytes.Buffer
	e := env()
	e.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	m := it.ByName("Boom")
	r, err := serveEnv(sk, m, encodeArgs(t, m, "x", []int{1}), e)
	require.NoError(t, err)
	assert.Equal(t, objerr.CodePanic, r.code, r.body.Message)
	assert.Contains(t, logged.String(), "shapesServer")
	assert.NotContains(t, logged.String(), "reflect.Value.call")
}

// A panic before, inside and after the method keeps its step's code on
// the generated path too (TestPanicOutsideTheMethodIsNotTheMethods runs
// with the generated code of After).
func TestGeneratedPanicSteps(t *testing.T) {
	for _, gen := range []bool{true, false} {
		t.Run(fmt.Sprint("generated=", gen), func(t *testing.T) {
			if !gen {
				defer skeleton.WithoutGenerated()()
			}
			it, err := iface.For[After]()
			require.NoError(t, err)
			sk, err := link.NewSkeleton(it, after{})
			require.NoError(t, err)
			for name, want := range map[string]objerr.Code{"Result": objerr.CodeEncoding, "Panic": objerr.CodePanic} {
				m := it.ByName(name)
				r, err := serveEnv(sk, m, encodeArgs(t, m), env())
				require.NoError(t, err)
				assert.Equal(t, want, r.code, "%s: %s", name, r.body.Message)
			}
		})
	}
}

// Stale is an interface whose generated code names other methods than
// it has: the code is not used, and the interface is served by reflection.
type Stale interface {
	Get(ctx context.Context) (int, error)
}

type stale struct{}

func (stale) Get(context.Context) (int, error) { return 5, nil }

func TestStaleServerCodeIsNotUsed(t *testing.T) {
	used := false
	stub.RegisterServer(func(ctx context.Context, obj Stale, c *stub.ServerCall) bool {
		used = true
		return false
	}, "Put")
	it, err := iface.For[Stale]()
	require.NoError(t, err)
	sk, err := link.NewSkeleton(it, stale{})
	require.NoError(t, err)
	r, err := serve(sk, it.ByName("Get"), encodeArgs(t, it.ByName("Get")))
	require.NoError(t, err)
	require.Equal(t, objerr.Code(0), r.code, r.body.Message)
	assert.Equal(t, int64(5), r.out[0].Int())
	assert.False(t, used)
}
