package wire

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/objrmi/objrmi/objerr"
)

// CallHeader opens a call frame. The arguments follow as one msgpack array.
type CallHeader struct {
	ID      uint64 // call id, unique per connection and direction
	Object  uint64 // object number in the callee runtime (see FlagPromise)
	Method  uint64 // method hash; 0 means Name is set (dynamic call); ProbeMethod: a probe
	Timeout int64  // remaining time in nanoseconds, 0 for none
	Name    string // method name, for dynamic calls; interface name, for probes
	Flags   CallFlags
	// Credit is the number of stream items the caller takes before it
	// grants more (FlagStream).
	Credit uint64
	// Seq identifies the call across reconnections, with the caller's
	// runtime id: the caller's sequence number (FlagSeq). Acked says the
	// caller has the replies of all its calls numbered below it.
	Seq, Acked uint64
	// Meta is the call's metadata, as key, value pairs (FlagMeta).
	Meta []string
}

// CallFlags say what a call asks beyond a plain request and reply. The
// fields they announce follow the header in the order of the flags.
type CallFlags uint64

const (
	// FlagNoReply: a one-way call. The callee sends no reply, not even
	// an error; the caller does not wait.
	FlagNoReply CallFlags = 1 << iota
	// FlagStream: the caller takes a stream of items (KindItem frames)
	// before the reply, Credit at first and more as it grants them
	// (KindCredit).
	FlagStream
	// FlagSeq: Seq and Acked follow.
	FlagSeq
	// FlagMeta: Meta follows.
	FlagMeta
	// FlagPromise: Object is not an object number but the id of an
	// earlier call on this connection, in the same direction, whose
	// result is the target (promise pipelining). No runtime serves it
	// yet: the callee answers objerr.CodeUnsupported. It is in the header
	// so that pipelining can come without another protocol version.
	FlagPromise

	knownCallFlags = FlagNoReply | FlagStream | FlagSeq | FlagMeta | FlagPromise
)

// MaxMeta bounds the metadata pairs of one call or reply.
const MaxMeta = 64

// ProbeMethod is the method hash of a probe: a call that runs nothing and
// asks whether the object exists and is exported as the remote interface
// Name. No real method hashes to it (iface refuses one that would).
const ProbeMethod uint64 = 1

// named reports whether a call header carries a name.
func (h *CallHeader) named() bool { return h.Method == 0 || h.Method == ProbeMethod }

// PutCall starts b (a KindCall buffer) with h.
func PutCall(b *Buffer, e *Encoder, h *CallHeader) error {
	b.PutID(h.ID)
	if err := e.EncodeUint(h.Object); err != nil {
		return err
	}
	if err := e.EncodeUint(h.Method); err != nil {
		return err
	}
	if err := e.EncodeInt(h.Timeout); err != nil {
		return err
	}
	if h.named() {
		if err := e.EncodeString(h.Name); err != nil {
			return err
		}
	}
	flags := h.Flags
	if len(h.Meta) > 0 {
		flags |= FlagMeta
	}
	if err := e.EncodeUint(uint64(flags)); err != nil {
		return err
	}
	if flags&FlagStream != 0 {
		if err := e.EncodeUint(h.Credit); err != nil {
			return err
		}
	}
	if flags&FlagSeq != 0 {
		if err := e.EncodeUint(h.Seq); err != nil {
			return err
		}
		if err := e.EncodeUint(h.Acked); err != nil {
			return err
		}
	}
	if flags&FlagMeta != 0 {
		return putMeta(e, h.Meta)
	}
	return nil
}

// ReadCall decodes a call header; d is positioned after the kind byte.
func ReadCall(d *Decoder, h *CallHeader) (err error) {
	if h.ID, err = readID(d); err != nil {
		return err
	}
	if h.Object, err = d.DecodeUint64(); err != nil {
		return err
	}
	if h.Method, err = d.DecodeUint64(); err != nil {
		return err
	}
	if h.Timeout, err = d.DecodeInt64(); err != nil {
		return err
	}
	if h.named() {
		if h.Name, err = d.BoundedString(); err != nil {
			return err
		}
	}
	f, err := d.DecodeUint64()
	if err != nil {
		return err
	}
	h.Flags = CallFlags(f)
	if h.Flags&^knownCallFlags != 0 {
		return fmt.Errorf("objrmi/wire: call %d has unknown flags %#x", h.ID, uint64(h.Flags&^knownCallFlags))
	}
	if h.Flags&FlagStream != 0 {
		if h.Credit, err = d.DecodeUint64(); err != nil {
			return err
		}
	}
	if h.Flags&FlagSeq != 0 {
		if h.Seq, err = d.DecodeUint64(); err != nil {
			return err
		}
		if h.Acked, err = d.DecodeUint64(); err != nil {
			return err
		}
	}
	if h.Flags&FlagMeta != 0 {
		h.Meta, err = readMeta(d)
	}
	return err
}

// putMeta writes metadata pairs as one array of strings.
func putMeta(e *Encoder, meta []string) error {
	if len(meta)%2 != 0 || len(meta) > 2*MaxMeta {
		return fmt.Errorf("objrmi/wire: metadata of %d strings: want pairs, at most %d", len(meta), MaxMeta)
	}
	if err := e.EncodeArrayLen(len(meta)); err != nil {
		return err
	}
	for _, s := range meta {
		if err := e.EncodeString(s); err != nil {
			return err
		}
	}
	return nil
}

// readMeta reads what putMeta wrote, refusing more than MaxMeta pairs.
func readMeta(d *Decoder) ([]string, error) {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return nil, err
	}
	if n < 0 || n%2 != 0 || n > 2*MaxMeta {
		return nil, fmt.Errorf("objrmi/wire: metadata of %d strings: want pairs, at most %d", n, MaxMeta)
	}
	meta := make([]string, n)
	for i := range meta {
		if meta[i], err = d.BoundedString(); err != nil {
			return nil, err
		}
	}
	return meta, nil
}

// ReturnHeader opens a reply. With Code 0 the results follow as one msgpack
// array; otherwise an ErrorBody follows.
type ReturnHeader struct {
	ID   uint64
	Code objerr.Code
	// Meta is the reply's metadata, as key, value pairs.
	Meta []string
}

// PutReturn starts b (a KindReturn buffer) with h: the id, the code, then
// the metadata array only if there is any.
func PutReturn(b *Buffer, e *Encoder, h ReturnHeader) error {
	b.PutID(h.ID)
	if len(h.Meta) == 0 {
		return e.EncodeUint(uint64(h.Code))
	}
	// The code with bit 7 set says metadata follows; codes stay below 128.
	if err := e.EncodeUint(uint64(h.Code) | returnMeta); err != nil {
		return err
	}
	return putMeta(e, h.Meta)
}

// returnMeta marks a reply code followed by metadata.
const returnMeta = 0x80

// ReadReturn decodes a reply header.
func ReadReturn(d *Decoder, h *ReturnHeader) error {
	id, err := readID(d)
	if err != nil {
		return err
	}
	c, err := d.DecodeUint8()
	if err != nil {
		return err
	}
	h.ID, h.Code, h.Meta = id, objerr.Code(c&^returnMeta), nil
	if c&returnMeta != 0 {
		h.Meta, err = readMeta(d)
	}
	return err
}

// ErrorBody is the payload of a failed reply.
type ErrorBody struct {
	AppCode string // the registered code of an application error
	Type    string // the Go type of the error on the server
	Message string
	// RetryAfter, in nanoseconds, is when the callee asks the caller to
	// try again (an overloaded server's pushback); 0 for no advice.
	RetryAfter int64
}

// PutError appends an error body.
func PutError(e *Encoder, eb *ErrorBody) error {
	n := 3
	if eb.RetryAfter > 0 {
		n = 4
	}
	if err := e.EncodeArrayLen(n); err != nil {
		return err
	}
	if err := e.EncodeString(eb.AppCode); err != nil {
		return err
	}
	if err := e.EncodeString(eb.Type); err != nil {
		return err
	}
	if err := e.EncodeString(eb.Message); err != nil || n == 3 {
		return err
	}
	return e.EncodeInt(eb.RetryAfter)
}

// ReadError decodes an error body.
func ReadError(d *Decoder, eb *ErrorBody) (err error) {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n != 3 && n != 4 {
		return fmt.Errorf("objrmi/wire: error body has %d fields, want 3 or 4", n)
	}
	if eb.AppCode, err = d.BoundedString(); err != nil {
		return err
	}
	if eb.Type, err = d.BoundedString(); err != nil {
		return err
	}
	if eb.Message, err = d.BoundedString(); err != nil || n == 3 {
		return err
	}
	eb.RetryAfter, err = d.DecodeInt64()
	return err
}

// ErrorReply builds a whole failed reply frame.
func ErrorReply(id uint64, code objerr.Code, body *ErrorBody) *Buffer {
	b := GetBuffer(KindReturn)
	e := NewEncoder(b)
	defer e.Release()
	PutReturn(b, e, ReturnHeader{ID: id, Code: code})
	PutError(e, body)
	return b
}

// CancelReason says why a caller gave up on a call, so the callee's
// context can carry the same cause.
type CancelReason uint8

// Cancel reasons.
const (
	CancelCaller   CancelReason = 0 // the caller cancelled
	CancelOrphaned CancelReason = 1 // the caller's own call was orphaned
	CancelDeadline CancelReason = 2 // the caller's deadline passed
)

// PutCancel writes a whole cancel frame for call id: the id, then the
// reason as one positive fixint.
func PutCancel(b *Buffer, id uint64, why CancelReason) {
	b.PutID(id)
	b.B = append(b.B, byte(why&0x7f))
}

// CancelReasonOf reads the reason after a cancel frame's id; a frame
// without one is a plain caller cancel.
func CancelReasonOf(body []byte) CancelReason {
	if len(body) > idLen {
		return CancelReason(body[idLen] & 0x7f)
	}
	return CancelCaller
}

// readID reads the fixed-width call id written by Buffer.PutID; a peer
// that writes any other form breaks the protocol.
func readID(d *Decoder) (uint64, error) {
	c, err := d.PeekCode()
	if err != nil {
		return 0, err
	}
	if c != msgpcode.Uint64 {
		return 0, fmt.Errorf("objrmi/wire: call id has code %#x, want fixed uint64", c)
	}
	return d.DecodeUint64()
}

// Ref is the wire form of a remote reference: where the object lives
// (runtime identity and, if it listens, its endpoint), which object, and
// the remote interface it was passed as.
type Ref struct {
	Runtime  uuid.UUID
	Endpoint string // host:port of the owner, "" if it has no listener
	Object   uint64
	Iface    string
	// TLS says the owner's listener speaks only TLS.
	TLS bool
	// Pin is set only while the reference travels inside a message from
	// its owner: the number of the owner's in-transit pin, which the
	// receiver's dirty claims. References users see have it zero.
	Pin uint64
	// Key is the owner's secret for the object, chosen at random when it
	// was exported: a runtime the owner never sent the object to (a
	// third-party hand-off) proves with it that it was given the
	// reference, rather than guessed the number. Keep it with the rest of
	// the reference when storing one; String leaves it out.
	Key uint64
}

func (r Ref) String() string {
	ep := r.Endpoint
	if ep == "" {
		ep = "(no listener)"
	} else if r.TLS {
		ep = "tls:" + ep
	}
	return fmt.Sprintf("%s@%s/%s#%d", r.Iface, ep, r.Runtime, r.Object)
}

// PutRef appends r as an array of 4 to 7 elements: runtime, endpoint,
// object, interface, then pin, TLS flag and key, each of the trailing
// three present only if it or one after it is set.
func PutRef(e *Encoder, r *Ref) error {
	n := 4
	switch {
	case r.Key != 0:
		n = 7
	case r.TLS:
		n = 6
	case r.Pin != 0:
		n = 5
	}
	if err := e.EncodeArrayLen(n); err != nil {
		return err
	}
	if err := e.EncodeBytes(r.Runtime[:]); err != nil {
		return err
	}
	if err := e.EncodeString(r.Endpoint); err != nil {
		return err
	}
	if err := e.EncodeUint(r.Object); err != nil {
		return err
	}
	if err := e.EncodeString(r.Iface); err != nil || n == 4 {
		return err
	}
	if err := e.EncodeUint(r.Pin); err != nil || n == 5 {
		return err
	}
	if err := e.EncodeBool(r.TLS); err != nil || n == 6 {
		return err
	}
	return e.EncodeUint(r.Key)
}

// ReadRef decodes a reference written by PutRef.
func ReadRef(d *Decoder, r *Ref) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n < 4 || n > 7 {
		return fmt.Errorf("objrmi/wire: reference has %d fields, want 4 to 7", n)
	}
	id, err := d.BoundedBytes()
	if err != nil {
		return err
	}
	if r.Runtime, err = uuid.FromBytes(id); err != nil {
		return fmt.Errorf("objrmi/wire: reference runtime id: %w", err)
	}
	if r.Endpoint, err = d.BoundedString(); err != nil {
		return err
	}
	if r.Object, err = d.DecodeUint64(); err != nil {
		return err
	}
	if r.Iface, err = d.BoundedString(); err != nil {
		return err
	}
	r.Pin, r.TLS, r.Key = 0, false, 0
	if n >= 5 {
		if r.Pin, err = d.DecodeUint64(); err != nil {
			return err
		}
	}
	if n >= 6 {
		if r.TLS, err = d.DecodeBool(); err != nil {
			return err
		}
	}
	if n == 7 {
		r.Key, err = d.DecodeUint64()
	}
	return err
}
