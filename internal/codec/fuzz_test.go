package codec_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/wire"
)

// argSeeds are inputs for FuzzDecodeArgs: a method index, then an
// argument list. Valid ones come from the encoder, as a stub sends them;
// hostile ones are written by hand.
func argSeeds(t testing.TB) (valid, hostile map[string][]byte) {
	it, err := iface.For[Rich]()
	require.NoError(t, err)
	call := func(name string, args ...any) []byte {
		m := it.ByName(name)
		return append([]byte{byte(m.Index)}, encodeArgs(t, m, args...)...)
	}
	raw := func(name string, p ...byte) []byte {
		return append([]byte{byte(it.ByName(name).Index)}, p...)
	}
	at := time.Unix(1700000000, 5)
	inner := Inner{Tags: []string{"a", "b"}, Attrs: map[string]int{"x": 1}, Next: &Inner{Attrs: map[string]int{}}}
	valid = map[string][]byte{
		"scalars": call("Scalars", int64(-7), "s", []byte{1, 2}, 1.5, true),
		"lists":   call("Lists", []string{"a", ""}, map[string]int{"k": 3}),
		"record": call("Record", Record{ID: 1, Inner: inner, Ptr: &inner, When: at, Stamp: &Stamp{N: 2},
			Meta: map[string]any{"n": 1, "l": []any{"x", at, map[any]any{1: true}}}}),
		"any_map":     call("Any", map[string]any{"a": []any{1.5, nil, []byte("b")}}),
		"any_keys":    call("AnyKeys", map[any]string{1: "one", "two": "2", at: "t"}),
		"time":        call("Time", at),
		"peer":        call("Peer", pinger{}, "label"),
		"nil_peer":    call("Peer", Peer(nil), ""),
		"stamp":       call("Stamp", &Stamp{N: 9}),
		"deep_ok_any": raw("Any", list1(nested(62)...)...),
	}
	hostile = map[string][]byte{
		"ext_in_any":   raw("Any", list1(stampRaw...)...),
		"deep_any":     raw("Any", list1(nested(100)...)...),
		"huge_array":   raw("Any", list1(0xdd, 0xff, 0xff, 0xff, 0xff)...),
		"huge_strings": raw("Lists", 0x92, 0xdd, 0xff, 0xff, 0xff, 0xff, 0x80),
		"ref_garbage":  raw("Peer", 0x92, 0x94, 0xc4, 0x01, 0x00, 0xa0, 0x01, 0xa0, 0xa0),
	}
	return valid, hostile
}

type pinger struct{}

func (pinger) Ping(context.Context) error { return nil }

// The valid seeds must get past Validate and decode, or the fuzzer would
// start from nothing but errors.
func TestValidArgSeedsDecode(t *testing.T) {
	it, err := iface.For[Rich]()
	require.NoError(t, err)
	valid, _ := argSeeds(t)
	for name, p := range valid {
		m := it.Methods[p[0]]
		d := wire.NewDecoder(p[1:])
		require.NoError(t, d.Validate(wire.DefaultLimits), name)
		d.Release()
		_, err := decodeArgs(m, p[1:])
		assert.NoError(t, err, name)
	}
}

// FuzzDecodeArgs decodes arbitrary bytes, once Validate passes them, into
// the parameter types of a method, as a skeleton does with a call. Errors
// are expected; a panic or a hang is the bug.
func FuzzDecodeArgs(f *testing.F) {
	it, err := iface.For[Rich]()
	require.NoError(f, err)
	valid, hostile := argSeeds(f)
	for _, s := range valid {
		f.Add(s)
	}
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		m := it.Methods[int(data[0])%len(it.Methods)]
		d := wire.NewDecoder(data[1:])
		defer d.Release()
		if d.Validate(wire.DefaultLimits) != nil {
			return
		}
		in := make([]reflect.Value, len(m.In))
		for i, sh := range m.In {
			in[i] = reflect.New(sh.Type).Elem()
		}
		if err := codec.DecodeValues(d, m.In, in, testRefs{}); err != nil {
			if errors.Is(err, codec.ErrPanic) {
				t.Errorf("%s: msgpack panicked: %v", m.Name, err)
			}
			return
		}
		// What decodes must encode again, as results travel back.
		var b wire.Buffer
		e := wire.NewEncoder(&b)
		defer e.Release()
		if err := codec.EncodeValues(e, m.In, in, testRefs{}); err != nil {
			t.Errorf("%s: decoded arguments do not encode: %v", m.Name, err)
		}
	})
}
