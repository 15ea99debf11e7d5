package remote_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/remote"
)

// wideNode is a recursive type with many edges, as a tree or graph
// node of a careless user's interface might be.
type wideNode struct {
	A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T *wideNode
	Name                                                       string
}

type Graph interface {
	Root(ctx context.Context) (*wideNode, error)
}

type graphImpl struct{}

func (graphImpl) Root(context.Context) (*wideNode, error) { return &wideNode{Name: "root"}, nil }

// countTypeNodes counts the nodes of a TypeDesc as a dynamic call
// decodes it.
func countTypeNodes(td map[string]any) int {
	n := 1
	for _, k := range []string{"Elem", "Key"} {
		if e, ok := td[k].(map[string]any); ok {
			n += countTypeNodes(e)
		}
	}
	fields, _ := td["Fields"].([]any)
	for _, f := range fields {
		n += countTypeNodes(f.(map[string]any)["Type"].(map[string]any))
	}
	return n
}

// Review: Describe, which any caller the rules allow can ask for, cut
// descriptions only by depth, so a recursive type with many fields
// grew as fields^(depth/2): 20 pointer fields made 160,000 nodes (and a
// few more fields, a reply over the frame limit after the server built
// it in memory). A type is expanded once on its path, and a description
// has a bounded number of nodes.
func TestReview5DescribeOfARecursiveTypeIsSmall(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	ref, err := remote.Export[Graph](srv, graphImpl{})
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	in := remote.Dynamic(cli, remote.WellKnown(srv.Endpoint(), remote.IntrospectID, "Introspector"))
	out, err := in.Call(ctxT(t), "Describe", ref.Object)
	require.NoError(t, err)
	methods := out[0].(map[string]any)["Methods"].([]any)
	require.Len(t, methods, 1)
	res := methods[0].(map[string]any)["Results"].([]any)[0].(map[string]any)
	assert.Less(t, countTypeNodes(res), 200, "nodes in the description of *wideNode")
	// The first level is described in full: the fields, and their type.
	assert.Equal(t, "pointer", res["Kind"])
	elem := res["Elem"].(map[string]any)
	fields := elem["Fields"].([]any)
	require.Len(t, fields, 21)
	assert.Equal(t, "*remote_test.wideNode", fields[0].(map[string]any)["Type"].(map[string]any)["Go"])
	assert.Equal(t, "string", fields[20].(map[string]any)["Type"].(map[string]any)["Kind"])
}
