package wire

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/objerr"
)

func TestCheckMeta(t *testing.T) {
	assert.NoError(t, CheckMeta(nil))
	assert.NoError(t, CheckMeta([]string{"k", ""}))
	assert.Error(t, CheckMeta([]string{"k"}), "odd")
	assert.Error(t, CheckMeta([]string{"", "v"}), "empty key")
	assert.Error(t, CheckMeta(make([]string, 2*MaxMeta+2)), "too many pairs")
	assert.Error(t, CheckMeta([]string{"k", strings.Repeat("v", MaxMetaBytes)}), "too many bytes")
}

// Metadata spliced into a built reply reads back, with the results or
// the error body that followed the code intact.
func TestWithReplyMeta(t *testing.T) {
	ok := GetBuffer(KindReturn)
	e := NewEncoder(ok)
	require.NoError(t, PutReturn(ok, e, ReturnHeader{ID: 42}))
	require.NoError(t, e.EncodeArrayLen(1))
	require.NoError(t, e.EncodeString("result"))
	e.Release()
	assert.Equal(t, objerr.Code(0), ReplyCode(ok))

	b, err := WithReplyMeta(ok, []string{"k", "v"})
	require.NoError(t, err)
	d := NewDecoder(b.Bytes()[prefixLen+1:])
	var h ReturnHeader
	require.NoError(t, ReadReturn(d, &h))
	assert.Equal(t, ReturnHeader{ID: 42, Meta: []string{"k", "v"}}, h)
	n, err := d.DecodeArrayLen()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	s, err := d.DecodeString()
	require.NoError(t, err)
	assert.Equal(t, "result", s)
	d.Release()
	assert.Equal(t, objerr.Code(0), ReplyCode(b))
	_, err = WithReplyMeta(b, []string{"again", "no"})
	assert.Error(t, err, "a reply that has metadata already")
	b.Release()

	fail := ErrorReply(7, objerr.CodeAccessDenied, &ErrorBody{Message: "no"})
	b, err = WithReplyMeta(fail, []string{"k", "v"})
	require.NoError(t, err)
	assert.Equal(t, objerr.CodeAccessDenied, ReplyCode(b))
	assert.Equal(t, "no", ReplyError(b).Message)
	b.Release()
}
