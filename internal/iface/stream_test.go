package iface_test

import (
	"context"
	"errors"
	"iter"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/objerr"
)

type Event struct {
	N    int64
	Node Node // a remote interface inside an item: walked
}

type feed interface {
	Events(ctx context.Context, since int64) (iter.Seq2[Event, error], error)
	Numbers(ctx context.Context) (iter.Seq2[int64, error], error)
	Nodes(ctx context.Context) (iter.Seq2[Node, error], error)
}

// An alias is the same type to both sources of types.
type eventStream = iter.Seq2[Event, error]

type aliased interface {
	Events(ctx context.Context, since int64) (eventStream, error)
}

func TestStreamResultIsAccepted(t *testing.T) {
	it, err := iface.For[feed]()
	require.NoError(t, err)
	ev := it.ByName("Events")
	require.NotNil(t, ev.Stream)
	assert.Empty(t, ev.Out, "a stream method has no plain results")
	assert.Equal(t, reflect.TypeFor[Event](), ev.Stream.Type)
	assert.True(t, ev.Stream.Walk, "a Node inside an item travels by reference")
	assert.Equal(t, "Events(int64)(stream struct{N int64;Node remote Node})", ev.Sig)
	assert.Same(t, ifaceOf[Node](t), it.ByName("Nodes").Stream.Remote)
	assert.Equal(t, "Numbers()(stream int64)", it.ByName("Numbers").Sig)

	al, err := iface.For[aliased]()
	require.NoError(t, err)
	assert.Equal(t, ev.Hash, al.Methods[0].Hash)
}

type plainInt64 interface {
	Numbers(ctx context.Context) (int64, error)
}

type sliceInt64 interface {
	Numbers(ctx context.Context) ([]int64, error)
}

type streamInt64 interface {
	Numbers(ctx context.Context) (iter.Seq2[int64, error], error)
}

// A stream and a plain result of the same type decode differently.
func TestStreamHashesApartFromPlainResults(t *testing.T) {
	s := ifaceOf[streamInt64](t).Methods[0].Hash
	assert.NotEqual(t, s, ifaceOf[plainInt64](t).Methods[0].Hash)
	assert.NotEqual(t, s, ifaceOf[sliceInt64](t).Methods[0].Hash)
}

type streamParam interface {
	Feed(ctx context.Context, in iter.Seq2[int64, error]) error
}

type streamInStruct interface {
	Get(ctx context.Context) (struct{ S iter.Seq2[int64, error] }, error)
}

type streamInSlice interface {
	Get(ctx context.Context) ([]iter.Seq2[int64, error], error)
}

type streamAndValue interface {
	Get(ctx context.Context) (iter.Seq2[int64, error], int64, error)
}

type valueAndStream interface {
	Get(ctx context.Context) (int64, iter.Seq2[int64, error], error)
}

type seqResult interface {
	Get(ctx context.Context) (iter.Seq[int64], error)
}

type seq2NoError interface {
	Get(ctx context.Context) (iter.Seq2[int64, string], error)
}

type streamOfStreams interface {
	Get(ctx context.Context) (iter.Seq2[iter.Seq2[int64, error], error], error)
}

type streamOfChans interface {
	Get(ctx context.Context) (iter.Seq2[chan int, error], error)
}

type bareStream interface {
	Get(ctx context.Context) iter.Seq2[int64, error]
}

// A stream anywhere but as the one result besides error is refused, by
// a rule that names the method and says how to declare a stream.
func TestStreamRefusals(t *testing.T) {
	cases := []struct {
		t    reflect.Type
		rule string
	}{
		{reflect.TypeFor[streamParam](), "parameter 1 (iter.Seq2[int64,error]) cannot cross the wire: a stream (iter.Seq2) can only be a method's one result besides error"},
		{reflect.TypeFor[streamInStruct](), "field S: a stream (iter.Seq2) can only be"},
		{reflect.TypeFor[streamInSlice](), "a stream (iter.Seq2) can only be"},
		{reflect.TypeFor[streamAndValue](), "a stream (iter.Seq2[int64,error]) must be the method's only result besides error"},
		{reflect.TypeFor[valueAndStream](), "a stream (iter.Seq2[int64,error]) must be the method's only result besides error"},
		{reflect.TypeFor[seqResult](), "result iter.Seq[int64] cannot stream: each item may fail, so a stream is an iter.Seq2[T, error]"},
		{reflect.TypeFor[seq2NoError](), "must pair each item with an error"},
		{reflect.TypeFor[streamOfStreams](), "the items of the stream (iter.Seq2[iter.Seq2[int64,error],error]) cannot cross the wire: a stream (iter.Seq2) can only be"},
		{reflect.TypeFor[streamOfChans](), "cannot cross the wire: chan values cannot be encoded"},
		{reflect.TypeFor[bareStream](), "the last result must be error"},
	}
	for _, c := range cases {
		t.Run(c.t.String(), func(t *testing.T) {
			_, err := iface.Of(c.t)
			ie, ok := errors.AsType[*objerr.InterfaceError](err)
			require.True(t, ok, "%v", err)
			assert.NotEmpty(t, ie.Method)
			assert.Contains(t, ie.Rule, c.rule)
			assert.NotEmpty(t, ie.Hint)
		})
	}
}

type onewayStream interface {
	Get(ctx context.Context) (iter.Seq2[int64, error], error)
}

// A stream has a result, so it cannot be oneway.
func TestOnewayStreamIsRefused(t *testing.T) {
	err := iface.SetMarks(reflect.TypeFor[onewayStream](), []string{"Get:oneway"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a oneway method has no results but its error")
}

func ifaceOf[T any](t *testing.T) *iface.Interface {
	t.Helper()
	it, err := iface.For[T]()
	require.NoError(t, err)
	return it
}
