package iface_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/objerr"
)

type Doc struct {
	Title string
	Meta  map[string]any
}

// List refers to itself; its untyped value is one pointer down.
type List struct {
	Next *List
	Val  *any
}

type Untyped interface {
	Any(ctx context.Context, v any) error
	Doc(ctx context.Context, d Doc) error
	Keys(ctx context.Context, m map[any]int) error
	List(ctx context.Context, l List) error
	Plain(ctx context.Context, m map[string][]int) error
}

// Values where any hides are walked by objrmi, so that msgpack's
// DecodeInterface never runs on them; the signatures are what they were
// before the walk flag existed, so the hashes do not change.
func TestUntypedValuesAreWalked(t *testing.T) {
	it, err := iface.For[Untyped]()
	require.NoError(t, err)
	cases := []struct {
		method  string
		untyped bool
		walk    bool
		sig     string
	}{
		{"Any", true, true, "Any(any)()"},
		{"Doc", false, true, "Doc(struct{Title string;Meta map[string]any})()"},
		{"Keys", false, true, "Keys(map[any]int)()"},
		{"List", false, true, "List(struct{Next *List;Val *any})()"},
		{"Plain", false, false, "Plain(map[string][]int)()"},
	}
	for _, c := range cases {
		t.Run(c.method, func(t *testing.T) {
			m := it.ByName(c.method)
			assert.Equal(t, c.untyped, m.In[0].Untyped)
			assert.Equal(t, c.walk, m.In[0].Walk)
			assert.Equal(t, c.sig, m.Sig)
		})
	}
	assert.True(t, it.ByName("List").In[0].Field("Next").Shape.Walk, "the flag reaches a fixed point through the cycle")
}

type inner struct{ V any }

type hidesInUnexportedEmbed struct {
	inner
	X int
}

type unexportedEmbedConcrete struct {
	inner2
	X int
}

type inner2 struct{ N int }

// textOnly encodes itself (MarshalText) but has no decoder: msgpack would
// decode its fields, any among them.
type textOnly struct{ V any }

func (textOnly) MarshalText() ([]byte, error) { return nil, nil }

type hiddenEmbed interface {
	Do(ctx context.Context, v hidesInUnexportedEmbed) error
}

type hiddenInSelfEncoder interface {
	Do(ctx context.Context, v []textOnly) error
}

type concreteEmbed interface {
	Do(ctx context.Context, v unexportedEmbedConcrete) error
}

// msgpack decodes values that the walker never sees; an interface among
// them would let the wire choose a type, so such types are refused.
func TestInterfacesMsgpackWouldDecodeAreRefused(t *testing.T) {
	cases := []struct {
		t          reflect.Type
		ruleSubstr string
	}{
		{reflect.TypeFor[hiddenEmbed](), "embedded field inner is unexported, yet msgpack decodes it"},
		{reflect.TypeFor[hiddenInSelfEncoder](), "encodes itself but has no decoder"},
	}
	for _, c := range cases {
		t.Run(c.t.String(), func(t *testing.T) {
			_, err := iface.Of(c.t)
			var ie *objerr.InterfaceError
			require.True(t, errors.As(err, &ie), "%v", err)
			assert.Contains(t, err.Error(), c.ruleSubstr)
		})
	}
	_, err := iface.For[concreteEmbed]()
	assert.NoError(t, err, "an unexported embedded struct of concrete types stays allowed")
}
