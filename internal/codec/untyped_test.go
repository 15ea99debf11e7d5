package codec_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/wire"
)

// list1 is an argument list of one raw value.
func list1(raw ...byte) []byte { return append([]byte{0x91}, raw...) }

// nested is n arrays, one inside the other, around a 1.
func nested(n int) []byte { return append(bytes.Repeat([]byte{0x91}, n), 0x01) }

var stampRaw = []byte{0xd7, stampExt, 0, 0, 0, 0, 0, 0, 0, 5}

func TestUntypedValuesRoundTrip(t *testing.T) {
	at := time.Unix(1700000000, 123)
	cases := []struct {
		name string
		v    any
		want any
		// sameAsMsgpack: msgpack's DecodeInterface gives the same value
		// (it cannot decode maps with mixed keys).
		sameAsMsgpack bool
	}{
		{"nil", nil, nil, true},
		{"bool", true, true, true},
		{"small int, compact", int64(5), int8(5), true},
		{"negative int", int64(-1000), int16(-1000), true},
		{"large uint", uint64(1 << 40), uint64(1 << 40), true},
		{"float64", 1.5, 1.5, true},
		{"float32", float32(2.5), float32(2.5), true},
		{"string", "héllo", "héllo", true},
		{"byte string", []byte{1, 2}, []byte{1, 2}, true},
		{"empty byte string", []byte{}, []byte{}, true},
		{"timestamp, 4 bytes", time.Unix(1, 0), time.Unix(1, 0), true},
		{"timestamp, 8 bytes", at, at, true},
		{"timestamp, 12 bytes", time.Unix(1<<35, 7), time.Unix(1<<35, 7), true},
		{"timestamp before 1970", time.Unix(-1, 0), time.Unix(-1, 0), true},
		{"zero time", time.Time{}, time.Time{}, true},
		{"array", []any{int64(1), "a", nil}, []any{int8(1), "a", nil}, true},
		{"empty array", []any{}, []any{}, true},
		{"string-keyed map", map[string]any{"a": int64(1), "b": []any{"x"}}, map[string]any{"a": int8(1), "b": []any{"x"}}, true},
		{"empty map", map[string]any{}, map[string]any{}, true},
		{"scalar-keyed map", map[any]any{true: nil, 1.5: "f", at: "t"}, map[any]any{true: nil, 1.5: "f", at: "t"}, false},
		{"mixed keys", map[any]any{int64(1): "one", "two": int64(2)}, map[any]any{int8(1): "one", "two": int8(2)}, false},
		{"nested", map[string]any{"l": []any{map[string]any{"at": at, "m": map[any]any{int64(1): []byte("b")}}}},
			map[string]any{"l": []any{map[string]any{"at": at, "m": map[any]any{int8(1): []byte("b")}}}}, false},
	}
	m := richMethod(t, "Any")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := encodeArgs(t, m, c.v)
			in, err := decodeArgs(m, p)
			require.NoError(t, err)
			assert.Equal(t, c.want, in[0].Interface())
			if c.sameAsMsgpack {
				var viaMsgpack any
				require.NoError(t, msgpack.Unmarshal(p[1:], &viaMsgpack))
				assert.Equal(t, viaMsgpack, in[0].Interface())
			}
		})
	}
}

// The first key decides nothing: a map is map[string]any only when every
// key is a string, whichever comes first.
func TestMapWithAnyNonStringKeyIsMapOfAny(t *testing.T) {
	m := richMethod(t, "Any")
	for name, raw := range map[string][]byte{
		"string key first": list1(0x82, 0xa1, 'a', 1, 2, 3),
		"int key first":    list1(0x82, 2, 3, 0xa1, 'a', 1),
	} {
		in, err := decodeArgs(m, raw)
		require.NoError(t, err, name)
		assert.Equal(t, map[any]any{"a": int8(1), int8(2): int8(3)}, in[0].Interface(), name)
	}
}

func TestUntypedMapInStructFieldRoundTrips(t *testing.T) {
	at := time.Unix(1700000000, 0)
	r := Record{
		ID:    9,
		Inner: Inner{Tags: []string{"a"}, Attrs: map[string]int{"x": 1}, Next: &Inner{Tags: []string{"b"}}},
		Meta:  map[string]any{"n": int64(1), "tags": []any{"a", "b"}, "at": at},
		When:  at,
		Stamp: &Stamp{N: 3},
	}
	want := r
	want.Meta = map[string]any{"n": int8(1), "tags": []any{"a", "b"}, "at": at}
	m := richMethod(t, "Record")

	in, err := decodeArgs(m, encodeArgs(t, m, r))
	require.NoError(t, err)
	assert.Equal(t, want, in[0].Interface(), "stub to skeleton")

	// Skeleton to stub: results are encoded from reflect values.
	var b wire.Buffer
	e := wire.NewEncoder(&b)
	defer e.Release()
	require.NoError(t, codec.EncodeValues(e, m.In, []reflect.Value{reflect.ValueOf(r)}, testRefs{}))
	var got Record
	d := wire.NewDecoder(b.B)
	defer d.Release()
	require.NoError(t, codec.DecodeList(d, m.In, []any{&got}, testRefs{}))
	assert.Equal(t, want, got, "skeleton to stub")
}

// A type registered as a msgpack extension is a gadget where any is
// declared, wherever the any sits; declared as itself it is just a type.
func TestExtensionWhereAnyIsDeclaredIsRefused(t *testing.T) {
	var viaMsgpack any
	require.NoError(t, msgpack.Unmarshal(stampRaw, &viaMsgpack))
	require.IsType(t, &Stamp{}, viaMsgpack, "msgpack alone builds the registered type")

	cases := []struct {
		name   string
		method string
		raw    []byte
		ext    int8
	}{
		{"registered ext as the argument", "Any", encodeArgs(t, richMethod(t, "Any"), &Stamp{N: 5}), stampExt},
		{"registered ext in a slice", "Any", encodeArgs(t, richMethod(t, "Any"), []any{"x", &Stamp{N: 5}}), stampExt},
		{"registered ext in a struct's map", "Record",
			encodeArgs(t, richMethod(t, "Record"), Record{Meta: map[string]any{"s": &Stamp{N: 5}}}), stampExt},
		{"registered ext as a declared any key", "AnyKeys", list1(append(append([]byte{0x81}, stampRaw...), 0xa1, 'x')...), stampExt},
		{"registered ext as a key inside any", "Any", list1(append(append([]byte{0x81}, stampRaw...), 0x01)...), stampExt},
		{"unregistered ext", "Any", list1(0xd4, 5, 0), 5},
		{"NodeJS time ext", "Any", list1(0xd6, 13, 0, 0, 0, 1), 13},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeArgs(richMethod(t, c.method), c.raw)
			var ee *codec.UntypedExtError
			require.True(t, errors.As(err, &ee), "%v", err)
			assert.Equal(t, c.ext, ee.Type)
			assert.ErrorContains(t, err, "an untyped value (any) cannot carry msgpack extension type")
			assert.ErrorContains(t, err, "declare a concrete type")
		})
	}

	t.Run("results too", func(t *testing.T) {
		d := wire.NewDecoder(list1(stampRaw...))
		defer d.Release()
		var got any
		err := codec.DecodeList(d, richMethod(t, "Any").In, []any{&got}, testRefs{})
		var ee *codec.UntypedExtError
		assert.True(t, errors.As(err, &ee), "%v", err)
	})
}

func TestDeclaredExtensionTypesStillDecode(t *testing.T) {
	at := time.Unix(1700000000, 42)
	cases := []struct {
		method string
		v      any
	}{
		{"Stamp", &Stamp{N: 5}},
		{"Time", at},
		{"Record", Record{When: at, Stamp: &Stamp{N: 6}, Meta: map[string]any{}}},
	}
	for _, c := range cases {
		t.Run(c.method, func(t *testing.T) {
			m := richMethod(t, c.method)
			in, err := decodeArgs(m, encodeArgs(t, m, c.v))
			require.NoError(t, err)
			assert.Equal(t, c.v, in[0].Interface())
		})
	}
}

// Validate runs first on a server, but the codec does not count on it.
func TestHostileUntypedValuesAreRefusedWithoutValidate(t *testing.T) {
	cases := []struct {
		name   string
		method string
		raw    []byte
		is     error
		substr string
	}{
		{"nested deeper than MaxDepth", "Any", list1(nested(100)...), codec.ErrDepth, "untyped value deeper than"},
		{"deep in a struct's map", "Record", list1(append([]byte{0x81, 0xa4, 'M', 'e', 't', 'a', 0x81, 0xa1, 'k'}, nested(100)...)...),
			codec.ErrDepth, "deeper than"},
		{"huge array, no data", "Any", list1(0xdd, 0xff, 0xff, 0xff, 0xff), nil, "collection of 4294967295 elements"},
		{"huge map, no data", "Any", list1(0xdf, 0xff, 0xff, 0xff, 0xff), nil, "collection of 4294967295 elements"},
		{"huge string, no data", "Any", list1(0xdb, 0x7f, 0xff, 0xff, 0xff, 'a'), wire.ErrMalformed, "announced"},
		{"array as a key inside any", "Any", list1(0x81, 0x90, 0x01), nil, "untyped map key must be a scalar, not an array"},
		{"map as a declared any key", "AnyKeys", list1(0x81, 0x80, 0xa1, 'x'), nil, "must be a scalar, not a map"},
		{"byte string as a key", "Any", list1(0x81, 0xc4, 1, 'a', 0x01), nil, "must be a scalar, not a byte string"},
		{"timestamp of 2 bytes", "Any", list1(0xd5, 0xff, 0, 0), nil, "timestamp of 2 bytes"},
		{"truncated timestamp", "Any", list1(0xd6, 0xff, 0), nil, "EOF"},
		{"reserved code", "Any", list1(0xc1), nil, "unknown code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeArgs(richMethod(t, c.method), c.raw)
			require.Error(t, err)
			if c.is != nil {
				assert.ErrorIs(t, err, c.is)
			}
			assert.ErrorContains(t, err, c.substr)
		})
	}
}

// DecodeUntyped, for callers without shapes, follows the same rules.
func TestDecodeUntypedWithoutShape(t *testing.T) {
	for name, c := range map[string]struct {
		raw  []byte
		want any
		ok   bool
	}{
		"nil":           {[]byte{0xc0}, nil, true},
		"map":           {[]byte{0x81, 0xa1, 'k', 0x92, 1, 0xc0}, map[string]any{"k": []any{int8(1), nil}}, true},
		"registered":    {stampRaw, nil, false},
		"deep":          {nested(100), nil, false},
		"huge, no data": {[]byte{0xdd, 0xff, 0xff, 0xff, 0xff}, nil, false},
	} {
		d := wire.NewDecoder(c.raw)
		got, err := codec.DecodeUntyped(d)
		d.Release()
		if c.ok {
			require.NoError(t, err, name)
			assert.Equal(t, c.want, got, name)
		} else {
			assert.Error(t, err, name)
		}
	}
}

type timed interface {
	At(ctx context.Context, t time.Time) error
	Nested(ctx context.Context, s struct{ At time.Time }) error
}

// msgpack's time.Time decoder panics on nil (found by FuzzDecodeArgs).
// Where the codec hands the value over, nil is the zero time, as msgpack
// makes it for other types; deeper, inside msgpack, the panic becomes
// this call's error.
func TestNilForTimeIsNoPanic(t *testing.T) {
	it, err := iface.For[timed]()
	require.NoError(t, err)
	in, err := decodeArgs(it.ByName("At"), list1(0xc0))
	require.NoError(t, err)
	assert.Equal(t, time.Time{}, in[0].Interface())

	_, err = decodeArgs(it.ByName("Nested"), list1(0x81, 0xa2, 'A', 't', 0xc0))
	assert.ErrorIs(t, err, codec.ErrPanic)
}
