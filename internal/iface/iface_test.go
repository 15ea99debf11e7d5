package iface_test

import (
	"context"
	"errors"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/testsvc"
	v2 "github.com/objrmi/objrmi/internal/testsvc/v2"
	"github.com/objrmi/objrmi/objerr"
)

type Point struct {
	X, Y int64
	note string // unexported: not on the wire
}

type Node interface {
	Next(ctx context.Context) (Node, error)
	Point(ctx context.Context, p Point, at time.Time) (*Point, error)
}

type Tree struct {
	Children []*Tree
	Leaf     Node
}

type Forest interface {
	Plant(ctx context.Context, t Tree) error
	Count(ctx context.Context, m map[string][]int) (int, error)
}

func TestTableOfValidInterfaces(t *testing.T) {
	it, err := iface.For[Node]()
	require.NoError(t, err)
	require.Len(t, it.Methods, 2)
	assert.Equal(t, "Next", it.Methods[0].Name, "reflect order: sorted by name")
	assert.Same(t, it, it.Methods[0].Out[0].Remote, "a self-referring interface terminates")
	assert.Equal(t, "Next()(remote Node)", it.Methods[0].Sig)
	assert.Equal(t, "Point(struct{X int64;Y int64},time.Time)(*struct{X int64;Y int64})", it.Methods[1].Sig)
	assert.Same(t, it.Methods[1], it.ByHash(it.Methods[1].Hash))
	assert.Same(t, it.Methods[1], it.ByName("Point"))

	again, err := iface.Of(reflect.TypeFor[Node]())
	require.NoError(t, err)
	assert.Same(t, it, again, "built once per type")

	f, err := iface.For[Forest]()
	require.NoError(t, err)
	plant := f.ByName("Plant")
	assert.True(t, plant.In[0].Walk, "Tree holds a Node inside")
	assert.False(t, f.ByName("Count").In[0].Walk)
}

// The hash covers the wire shape, not the package: the same interface in
// two packages agrees, a changed signature does not.
func TestHashesFollowTheWireShape(t *testing.T) {
	v1, err := iface.For[testsvc.Calculator]()
	require.NoError(t, err)
	newer, err := iface.For[v2.Calculator]()
	require.NoError(t, err)
	assert.NotEqual(t, v1.ByName("Add").Hash, newer.ByName("Add").Hash)

	type sameAdd interface {
		Add(ctx context.Context, x, y int64) (int64, error)
	}
	same, err := iface.For[sameAdd]()
	require.NoError(t, err)
	assert.Equal(t, v1.ByName("Add").Hash, same.ByName("Add").Hash, "parameter names do not matter")
}

type noCtx interface {
	Do(a int) error
}
type noErr interface {
	Do(ctx context.Context) int
}
type chanParam interface {
	Do(ctx context.Context, c chan int) error
}
type funcField struct{ F func() }
type funcInStruct interface {
	Do(ctx context.Context, s funcField) error
}
type errParam interface {
	Do(ctx context.Context, e error) error
}
type plainIfaceParam interface {
	Do(ctx context.Context, s interface{ String() string }) error
}
type empty interface{}
type unexported interface {
	do(ctx context.Context) error
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		t          reflect.Type
		method     string
		ruleSubstr string
	}{
		{reflect.TypeFor[noCtx](), "Do", "first parameter must be context.Context"},
		{reflect.TypeFor[noErr](), "Do", "last result must be error"},
		{reflect.TypeFor[chanParam](), "Do", "chan values cannot be encoded"},
		{reflect.TypeFor[funcInStruct](), "Do", "field F: func values cannot be encoded"},
		{reflect.TypeFor[errParam](), "Do", "return it as the last result"},
		{reflect.TypeFor[plainIfaceParam](), "Do", "is not a remote interface"},
		{reflect.TypeFor[empty](), "", "at least one method"},
		{reflect.TypeFor[unexported](), "do", "unexported"},
		{reflect.TypeFor[Point](), "", "must be an interface type"},
	}
	for _, c := range cases {
		t.Run(c.t.String(), func(t *testing.T) {
			_, err := iface.Of(c.t)
			var ie *objerr.InterfaceError
			require.True(t, errors.As(err, &ie), "%v", err)
			assert.Equal(t, c.method, ie.Method)
			assert.Contains(t, err.Error(), c.ruleSubstr)
		})
	}
}

type Base struct{ ID int64 }

type embeds interface {
	Put(ctx context.Context, v struct {
		Base
		Name string
	}) error
}

type names interface {
	Put(ctx context.Context, v struct {
		Base Base
		Name string
	}) error
}

type timePtr interface {
	Set(ctx context.Context, t *time.Time) error
}

type textPtr interface {
	Set(ctx context.Context, t *big.Int) error
}

// Signatures that decode differently must hash differently.
func TestDistinctWireShapesHashApart(t *testing.T) {
	hashOf := func(t2 reflect.Type) uint64 {
		it, err := iface.Of(t2)
		require.NoError(t, err)
		return it.Methods[0].Hash
	}
	assert.NotEqual(t, hashOf(reflect.TypeFor[embeds]()), hashOf(reflect.TypeFor[names]()),
		"msgpack inlines an embedded struct")
	assert.NotEqual(t, hashOf(reflect.TypeFor[timePtr]()), hashOf(reflect.TypeFor[textPtr]()))
}
