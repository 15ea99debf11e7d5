package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// Shop is the remote interface objregistry call is tried on: ints,
// strings, a struct and a slice.
type Shop interface {
	Greet(ctx context.Context, name string, times int) (string, error)
	Sum(ctx context.Context, xs []int64) (int64, error)
	Order(ctx context.Context, o Order) (Receipt, error)
	//objrmi:readonly
	Tenant(ctx context.Context) (string, error)
}

type Order struct {
	Item string
	Qty  int
	Tags []string
}

type Receipt struct {
	Item  string
	Total int64
	Tags  []string
}

type shop struct{ calls atomic.Int64 }

func (s *shop) Greet(_ context.Context, name string, times int) (string, error) {
	s.calls.Add(1)
	return strings.TrimSpace(strings.Repeat(name+" ", times)), nil
}

func (s *shop) Sum(_ context.Context, xs []int64) (int64, error) {
	s.calls.Add(1)
	var n int64
	for _, x := range xs {
		n += x
	}
	return n, nil
}

func (s *shop) Order(_ context.Context, o Order) (Receipt, error) {
	s.calls.Add(1)
	if o.Qty <= 0 {
		return Receipt{}, fmt.Errorf("quantity %d: order at least one", o.Qty)
	}
	return Receipt{Item: o.Item, Total: int64(o.Qty) * 3, Tags: o.Tags}, nil
}

func (s *shop) Tenant(ctx context.Context) (string, error) {
	return remote.IncomingMetadata(ctx).Get("tenant"), nil
}

// objregistry call against a live server, bound in a live registry:
// arguments of each kind converted through the object's description, a
// wrong type and an unknown method refused before anything is sent, and
// an object that is not exported.
func TestCallCommand(t *testing.T) {
	d := serveRegistry(t)
	srv := testutil.Runtime(t, remote.Options{Listen: "127.0.0.1:0"})
	impl := &shop{}
	require.NoError(t, remote.SetMarks[Shop]("Tenant:readonly"))
	ref, err := remote.Export[Shop](srv, impl)
	require.NoError(t, err)
	c, err := registry.Dial(ctxT(t), srv, d.url)
	require.NoError(t, err)
	require.NoError(t, c.Bind(ctxT(t), "shop", ref))
	url := d.url + "/shop"

	results := func(args ...string) []any {
		t.Helper()
		out, errOut, code := cli(t, append([]string{"call"}, args...)...)
		require.Equal(t, 0, code, "call %v: %s", args, errOut)
		var v []any
		require.NoError(t, json.Unmarshal([]byte(out), &v), out)
		return v
	}
	assert.Equal(t, []any{"bob bob"}, results(url, "Greet", "bob", "2"))
	assert.Equal(t, []any{"bob"}, results(url, "Greet", `"bob"`, "1"), "a quoted string")
	assert.Equal(t, []any{6.0}, results(url, "Sum", "[1, 2, 3]"))
	assert.Equal(t, []any{map[string]any{"Item": "tea", "Total": 9.0, "Tags": []any{"hot"}}},
		results(url, "Order", `{"Item": "tea", "Qty": 3, "Tags": ["hot"]}`))
	assert.Equal(t, []any{"acme"}, results("--meta", "tenant=acme", url, "Tenant"))
	// A well-known id, without a registry.
	wk, err := remote.Export[Shop](srv, impl, remote.WithID(77))
	require.NoError(t, err)
	assert.Equal(t, []any{"x"}, results(fmt.Sprintf("objrmi://%s#%d", srv.Endpoint(), wk.Object), "Greet", "x", "1"))
	calls := impl.calls.Load()

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{url, "Greet", "bob", "two"}, 2, `argument 2 of Shop.Greet (int): "two" is not an integer`},
		{[]string{url, "Greet", "bob"}, 2, "Shop.Greet takes 2 arguments (string, int), got 1"},
		{[]string{url, "Sum", `["1"]`}, 2, "want a number (int64)"},
		{[]string{url, "Order", `{"Item": "tea", "Quantity": 3}`}, 2, `main.Order has no field "Quantity" (its fields: Item, Qty, Tags)`},
		{[]string{url, "Order", `[1]`}, 2, "want a JSON object with the fields of main.Order"},
		{[]string{url, "Nope"}, 2, `Shop has no method "Nope" (it has Greet, Order, Sum, Tenant)`},
		{[]string{url}, 2, "want URL METHOD [ARG...]"},
		{[]string{d.url, "Greet"}, 2, "names no object"},
		{[]string{url, "Order", `{"Item": "tea", "Qty": 0}`}, 1, "quantity 0: order at least one"},
		{[]string{fmt.Sprintf("objrmi://%s#%d", srv.Endpoint(), 99), "Greet", "x", "1"}, 1, "no such object"},
	} {
		out, errOut, code := cli(t, append([]string{"call"}, tc.args...)...)
		assert.Equal(t, tc.code, code, "%v: %s%s", tc.args, out, errOut)
		assert.Contains(t, errOut, tc.msg, "%v", tc.args)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "%v: one line: %q", tc.args, errOut)
	}
	assert.Equal(t, calls+1, impl.calls.Load(), "only the order with quantity 0 reached the server")

	out, errOut, code := cli(t, "describe", url)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, `type Shop interface {
	Greet(ctx context.Context, arg1 string, arg2 int) (string, error)
	Order(ctx context.Context, arg1 main.Order) (main.Receipt, error)
	Sum(ctx context.Context, arg1 []int64) (int64, error)
	//objrmi:readonly
	Tenant(ctx context.Context) (string, error)
}
`, out)

	// Unexported: the binding still names it, the owner says it is gone.
	require.NoError(t, srv.Unexport(ref))
	_, errOut, code = cli(t, "call", url, "Greet", "a", "1")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no such object")
	assert.Contains(t, errOut, "unexported")
}

// A runtime without introspection: call sends its arguments as they
// parse, and says so; describe says why it cannot.
func TestCallWithoutIntrospection(t *testing.T) {
	srv := testutil.Runtime(t, remote.Options{Listen: "127.0.0.1:0", DisableIntrospection: true})
	impl := &shop{}
	_, err := remote.Export[Shop](srv, impl, remote.WithID(77))
	require.NoError(t, err)
	url := fmt.Sprintf("objrmi://%s#77", srv.Endpoint())
	_, errOut, code := cli(t, "describe", url)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "DisableIntrospection")
}
