package iface_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/objerr"
)

type plainRoom interface {
	Post(ctx context.Context, msg string) error
	Members(ctx context.Context) ([]string, error)
}

type markedRoom interface {
	Post(ctx context.Context, msg string) error
	Members(ctx context.Context) ([]string, error)
}

// Marks reach the method table and leave the hash alone: a peer that
// does not know them still calls the same method.
func TestMarksDoNotChangeTheHash(t *testing.T) {
	require.NoError(t, iface.SetMarks(reflect.TypeFor[markedRoom](), []string{"Post:oneway", "Members:readonly,idempotent"}))
	marked, err := iface.For[markedRoom]()
	require.NoError(t, err)
	plain, err := iface.For[plainRoom]()
	require.NoError(t, err)
	for _, name := range []string{"Post", "Members"} {
		assert.Equal(t, plain.ByName(name).Hash, marked.ByName(name).Hash, name)
	}
	assert.True(t, marked.ByName("Post").Marks.Has(iface.OneWay))
	assert.True(t, marked.ByName("Members").Marks.Retryable())
	assert.Equal(t, "readonly,idempotent", marked.ByName("Members").Marks.String())
	assert.Zero(t, plain.ByName("Post").Marks)

	// Declaring them again, the same, is fine; changing them once the
	// table is in use is not.
	require.NoError(t, iface.SetMarks(reflect.TypeFor[markedRoom](), []string{"Members:idempotent,readonly", "Post:oneway"}))
	err = iface.SetMarks(reflect.TypeFor[markedRoom](), []string{"Post:oneway"})
	var ie *objerr.InterfaceError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, err.Error(), "marks changed after the interface was first used")
}

type badMarks1 interface {
	Get(ctx context.Context) (int, error)
}
type badMarks2 interface {
	Get(ctx context.Context) error
}
type badMarks3 interface {
	Get(ctx context.Context) error
}

// A mark that does not fit is refused, by SetMarks and by every use of the
// interface after it, with the method and the rule.
func TestMarksThatDoNotFitAreRefused(t *testing.T) {
	for _, tc := range []struct {
		t     reflect.Type
		specs []string
		want  string
	}{
		{reflect.TypeFor[badMarks1](), []string{"Get:oneway"}, "badMarks1.Get is not a valid remote interface: a oneway method has no results but its error"},
		{reflect.TypeFor[badMarks2](), []string{"Get:fast"}, `unknown mark "fast"`},
		{reflect.TypeFor[badMarks3](), []string{"Put:oneway"}, "marks are declared for a method the interface does not have"},
	} {
		err := iface.SetMarks(tc.t, tc.specs)
		require.Error(t, err, "%v", tc.specs)
		assert.Contains(t, err.Error(), tc.want)
		_, err = iface.Of(tc.t)
		require.Error(t, err, "%v: every later use fails too", tc.specs)
		assert.Contains(t, err.Error(), tc.want)
	}
}
