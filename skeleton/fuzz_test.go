package skeleton_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// seeds are valid argument lists for every method of Shapes, as a stub
// encodes them: a method index, then the arguments. Every variadic
// method has a seed with no, one and several variadic arguments.
func seeds(t testing.TB) map[string][]byte {
	it, _, _ := newShapes(t)
	call := func(name string, args ...any) []byte {
		m := it.ByName(name)
		require.NotNil(t, m, name)
		return append([]byte{byte(m.Index)}, encodeArgs(t, m, args...)...)
	}
	at := time.Unix(1700000000, 5).UTC()
	p := Peer(pinger{})
	rec := Rec{ID: 1, Name: "r", Tags: []string{"a", ""}, Attrs: map[string]int{"x": 1},
		Next: &Rec{ID: 2, Peer: p}, Peer: p, When: at}
	return map[string][]byte{
		"scalars":      call("Scalars", int64(-7), uint8(200), "s", []byte{1, 2}, 1.5, true),
		"struct":       call("Struct", rec),
		"struct_zero":  call("Struct", Rec{}),
		"ptr":          call("Ptr", &rec),
		"ptr_nil":      call("Ptr", (*Rec)(nil)),
		"slices":       call("Slices", []Rec{rec, {}}, [][]int{{1}, nil, {2, 3}}, []*Rec{&rec, nil}),
		"maps":         call("Maps", map[string]Rec{"a": rec}, map[int64][]string{-1: {"x"}}, map[string]Peer{"p": p, "nil": nil}),
		"remote":       call("Remote", p, Peer(nil)),
		"any":          call("Any", map[string]any{"a": []any{1.5, nil, "b"}}, []any(nil)),
		"any_several":  call("Any", nil, []any{int64(1), "two", []any{3.0}}),
		"sum_none":     call("Sum", int64(1), []int64(nil)),
		"sum_one":      call("Sum", int64(1), []int64{2}),
		"sum_several":  call("Sum", int64(1), []int64{2, 3, 4}),
		"strings_none": call("Strings", []string(nil)),
		"strings":      call("Strings", []string{"a", "b", ""}),
		"peers_none":   call("Peers", []Peer(nil)),
		"peers":        call("Peers", []Peer{p, nil, p}),
		"recs_one":     call("Recs", "t", []Rec{rec}),
		"recs":         call("Recs", "t", []Rec{rec, {}, {Next: &rec}}),
		"ptr_recs":     call("PtrRecs", []*Rec{&rec, nil}),
		"nested":       call("Nested", [][]map[string]int{{{"a": 1}, nil}, {}}),
		"boom":         call("Boom", "x", []int{1, 2}),
		"boom_none":    call("Boom", "x", []int(nil)),
	}
}

// Every seed is served: the methods answer, except Boom, which panics
// and is reported as the method's panic.
func TestSeedsAreServed(t *testing.T) {
	it, impl, sk := newShapes(t)
	for name, p := range seeds(t) {
		m := it.Methods[p[0]]
		before := impl.panics.Load()
		r, err := serve(sk, m, p[1:])
		require.NoError(t, err, name)
		if m.Name == "Boom" {
			assert.Equal(t, objerr.CodePanic, r.code, "%s: %s", name, r.body.Message)
			assert.Equal(t, before+1, impl.panics.Load(), name)
			continue
		}
		assert.Equal(t, objerr.Code(0), r.code, "%s: %s", name, r.body.Message)
	}
}

// FuzzServe feeds arbitrary arguments, once Validate passes them as the
// transport does, to every method of Shapes through Serve. Serve must
// never panic, must answer with a reply that decodes, and must report
// CodePanic exactly when the method itself panicked: a refusal before
// the method ran is never "method panicked". The generated server code
// and reflection must give the same reply.
func FuzzServe(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	it, impl, sk := newShapes(f)
	slow := newReflectShapes(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		m := it.Methods[int(data[0])%len(it.Methods)]
		d := wire.NewDecoder(data[1:])
		valid := d.Validate(wire.DefaultLimits) == nil
		d.Release()
		if !valid {
			return
		}
		before := impl.panics.Load()
		r, err := serve(sk, m, data[1:])
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		panicked := impl.panics.Load() != before
		if want, err := serve(slow, m, data[1:]); err != nil || want.code != r.code || want.body != r.body {
			t.Fatalf("%s: generated code answered %s %q, reflection %s %q (%v)", m.Name, r.code, r.body.Message, want.code, want.body.Message, err)
		}
		if (r.code == objerr.CodePanic) != panicked {
			t.Fatalf("%s: reply %q (%s), and the method itself panicked: %v", m.Name, r.code, r.body.Message, panicked)
		}
		switch r.code {
		case 0, objerr.CodeBadArguments, objerr.CodePanic, objerr.CodeApplication:
		default:
			t.Fatalf("%s: unexpected code %s: %s", m.Name, r.code, r.body.Message)
		}
	})
}
