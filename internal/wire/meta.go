package wire

import (
	"fmt"

	"github.com/objrmi/objrmi/objerr"
)

// MaxMetaBytes bounds the keys and values of one call's or one reply's
// metadata, together. With MaxMeta it is what a peer can make a call
// carry beyond its arguments.
const MaxMetaBytes = 8 << 10

// CheckMeta checks metadata against the limits: pairs, at most MaxMeta
// of them, non-empty keys, and at most MaxMetaBytes in all.
func CheckMeta(meta []string) error {
	if len(meta)%2 != 0 || len(meta) > 2*MaxMeta {
		return fmt.Errorf("metadata of %d strings: want key, value pairs, at most %d of them", len(meta), MaxMeta)
	}
	n := 0
	for i, s := range meta {
		if i%2 == 0 && s == "" {
			return fmt.Errorf("metadata pair %d has an empty key", i/2)
		}
		n += len(s)
	}
	if n > MaxMetaBytes {
		return fmt.Errorf("metadata of %d bytes: at most %d", n, MaxMetaBytes)
	}
	return nil
}

// replyCodeOffset is where a reply buffer's code starts: after the
// length prefix, the kind byte and the fixed-width id. A code without
// metadata is one positive fixint byte.
const replyCodeOffset = prefixLen + 1 + idLen

// ReplyCode reads the code of a KindReturn buffer built by PutReturn
// (or ErrorReply): 0 for a result.
func ReplyCode(b *Buffer) objerr.Code {
	if len(b.B) <= replyCodeOffset+1 {
		return objerr.CodeUnknown
	}
	c := b.B[replyCodeOffset]
	if c == 0xcc { // msgpack's uint8: a code with returnMeta set
		c = b.B[replyCodeOffset+1]
	}
	return objerr.Code(c &^ returnMeta)
}

// ReplyError reads the error body of a failed reply buffer, for a hook
// that reports the outcome of a call it served.
func ReplyError(b *Buffer) *ErrorBody {
	var eb ErrorBody
	if len(b.B) <= replyCodeOffset {
		return &eb
	}
	d := NewDecoder(b.B[prefixLen+1:])
	defer d.Release()
	var h ReturnHeader
	if ReadReturn(d, &h) == nil && h.Code != 0 {
		ReadError(d, &eb)
	}
	return &eb
}

// WithReplyMeta returns reply (a KindReturn buffer without metadata)
// with meta in its header, releasing reply. meta must pass CheckMeta.
func WithReplyMeta(reply *Buffer, meta []string) (*Buffer, error) {
	if len(meta) == 0 {
		return reply, nil
	}
	if len(reply.B) <= replyCodeOffset || reply.B[replyCodeOffset] >= returnMeta {
		return reply, fmt.Errorf("objrmi/wire: not a reply without metadata")
	}
	b := GetBuffer(KindReturn)
	e := NewEncoder(b)
	defer e.Release()
	if err := PutReturn(b, e, ReturnHeader{ID: reply.ID(), Code: objerr.Code(reply.B[replyCodeOffset]), Meta: meta}); err != nil {
		b.Release()
		return reply, err
	}
	b.B = append(b.B, reply.B[replyCodeOffset+1:]...)
	reply.Release()
	return b, nil
}
