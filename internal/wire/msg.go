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
	Object  uint64 // object number in the callee runtime
	Method  uint64 // method hash; 0 means Name is set (dynamic call); ProbeMethod: a probe
	Timeout int64  // remaining time in nanoseconds, 0 for none
	Name    string // method name, for dynamic calls; interface name, for probes
}

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
		return e.EncodeString(h.Name)
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
		h.Name, err = d.BoundedString()
	}
	return err
}

// ReturnHeader opens a reply. With Code 0 the results follow as one msgpack
// array; otherwise an ErrorBody follows.
type ReturnHeader struct {
	ID   uint64
	Code objerr.Code
}

// PutReturn starts b (a KindReturn buffer) with h.
func PutReturn(b *Buffer, e *Encoder, h ReturnHeader) error {
	b.PutID(h.ID)
	return e.EncodeUint(uint64(h.Code))
}

// ReadReturn decodes a reply header.
func ReadReturn(d *Decoder, h *ReturnHeader) error {
	id, err := readID(d)
	if err != nil {
		return err
	}
	c, err := d.DecodeUint8()
	h.ID, h.Code = id, objerr.Code(c)
	return err
}

// ErrorBody is the payload of a failed reply.
type ErrorBody struct {
	AppCode string // the registered code of an application error
	Type    string // the Go type of the error on the server
	Message string
}

// PutError appends an error body.
func PutError(e *Encoder, eb *ErrorBody) error {
	if err := e.EncodeArrayLen(3); err != nil {
		return err
	}
	if err := e.EncodeString(eb.AppCode); err != nil {
		return err
	}
	if err := e.EncodeString(eb.Type); err != nil {
		return err
	}
	return e.EncodeString(eb.Message)
}

// ReadError decodes an error body.
func ReadError(d *Decoder, eb *ErrorBody) (err error) {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n != 3 {
		return fmt.Errorf("objrmi/wire: error body has %d fields, want 3", n)
	}
	if eb.AppCode, err = d.BoundedString(); err != nil {
		return err
	}
	if eb.Type, err = d.BoundedString(); err != nil {
		return err
	}
	eb.Message, err = d.BoundedString()
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
