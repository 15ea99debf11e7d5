package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/objerr"
)

// Every field a flag announces survives the trip, and a header without
// flags costs one byte more than in version 2.
func TestCallHeaderRoundTrip(t *testing.T) {
	for name, h := range map[string]CallHeader{
		"plain":    {ID: 7, Object: 1024, Method: 0xdeadbeef, Timeout: 5},
		"dynamic":  {ID: 8, Object: 3, Name: "Add"},
		"one-way":  {ID: 9, Object: 3, Method: 42, Flags: FlagNoReply},
		"stream":   {ID: 10, Object: 3, Method: 42, Flags: FlagStream, Credit: 64},
		"identity": {ID: 11, Object: 3, Method: 42, Flags: FlagSeq, Seq: 99, Acked: 90},
		"meta":     {ID: 12, Object: 3, Method: 42, Flags: FlagMeta, Meta: []string{"traceparent", "00-ab", "k", ""}},
		"all": {ID: 13, Object: 3, Method: 42, Flags: FlagStream | FlagSeq | FlagMeta | FlagNoReply,
			Credit: 1, Seq: 2, Acked: 1, Meta: []string{"a", "b"}},
	} {
		t.Run(name, func(t *testing.T) {
			b := GetBuffer(KindCall)
			e := NewEncoder(b)
			require.NoError(t, PutCall(b, e, &h))
			e.Release()
			d := NewDecoder(b.B[prefixLen+1:])
			defer d.Release()
			var got CallHeader
			require.NoError(t, ReadCall(d, &got))
			assert.Equal(t, h, got)
		})
	}
}

func TestCallHeaderRefusesUnknownFlagsAndOddMetadata(t *testing.T) {
	read := func(h CallHeader) error {
		b := GetBuffer(KindCall)
		e := NewEncoder(b)
		defer e.Release()
		b.PutID(h.ID)
		for _, v := range []uint64{h.Object, h.Method, 0, uint64(h.Flags)} {
			require.NoError(t, e.EncodeUint(v))
		}
		if h.Flags&FlagMeta != 0 {
			require.NoError(t, e.EncodeArrayLen(len(h.Meta)))
			for _, s := range h.Meta {
				require.NoError(t, e.EncodeString(s))
			}
		}
		d := NewDecoder(b.B[prefixLen+1:])
		defer d.Release()
		var got CallHeader
		return ReadCall(d, &got)
	}
	assert.ErrorContains(t, read(CallHeader{ID: 1, Method: 42, Flags: 1 << 20}), "unknown flags")
	assert.ErrorContains(t, read(CallHeader{ID: 1, Method: 42, Flags: FlagMeta, Meta: []string{"odd"}}), "want pairs")
	assert.ErrorContains(t, read(CallHeader{ID: 1, Method: 42, Flags: FlagMeta, Meta: make([]string, 2*MaxMeta+2)}), "at most")
}

func TestReturnHeaderAndErrorBodyRoundTrip(t *testing.T) {
	for _, h := range []ReturnHeader{{ID: 1, Code: objerr.CodeOverloaded}, {ID: 2, Meta: []string{"k", "v"}}} {
		b := GetBuffer(KindReturn)
		e := NewEncoder(b)
		require.NoError(t, PutReturn(b, e, h))
		eb := ErrorBody{Message: "busy", RetryAfter: 1500}
		require.NoError(t, PutError(e, &eb))
		e.Release()
		d := NewDecoder(b.B[prefixLen+1:])
		var got ReturnHeader
		require.NoError(t, ReadReturn(d, &got))
		assert.Equal(t, h, got)
		var gotEB ErrorBody
		require.NoError(t, ReadError(d, &gotEB))
		assert.Equal(t, eb, gotEB)
		d.Release()
	}
}
