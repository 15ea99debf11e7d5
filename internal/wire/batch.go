package wire

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/objrmi/objrmi/objerr"
)

// A batch is several calls sent in one frame, run one after another by
// the callee, in order, and answered in one frame.
//
// KindBatch, caller to callee:
//
//	id (fixed uint64) | flags (uint) | array of n bin: each the body of a
//	call frame (what follows the kind byte of a KindCall frame: the
//	fixed call id, the header fields, the argument list)
//
// The calls carry the ids id+1 to id+n, in order, so that a cancel for
// one of them names it like any call's; the batch's own id names its
// reply. n is at most MaxBatch.
//
// KindBatchReturn, callee to caller:
//
//	id (fixed uint64) | code (uint8) | code 0: array of n, each the body
//	of a reply frame for call i (a bin) or nil for a one-way call;
//	otherwise an ErrorBody: the whole batch was refused and none of its
//	calls ran.
//
// A call in a batch can in time target the result of an earlier call of
// the same batch (FlagPromise, with Object the id of that call): the
// ids are known to both sides before any runs, which is all promise
// pipelining needs from the frame.

// BatchFlags say how a batch runs.
type BatchFlags uint64

const (
	// BatchStopOnError: once a call fails, the calls after it do not
	// run; each is answered objerr.CodeBatchStopped.
	BatchStopOnError BatchFlags = 1 << iota

	knownBatchFlags = BatchStopOnError
)

// MaxBatch bounds the calls of one batch. It is part of the protocol: a
// caller refuses to build a larger batch, and a callee refuses one.
const MaxBatch = 1024

// Batch is a decoded KindBatch frame.
type Batch struct {
	ID    uint64
	Flags BatchFlags
	// Calls are the bodies of the calls, in order: slices of the frame,
	// valid as long as it is.
	Calls [][]byte
}

// PutBatch starts b (a KindBatch buffer) with the batch header and
// appends calls, KindCall buffers, giving them the ids id+1 to id+n.
// The calls stay the caller's to release.
func PutBatch(b *Buffer, e *Encoder, id uint64, flags BatchFlags, calls []*Buffer) error {
	if len(calls) > MaxBatch {
		return fmt.Errorf("%w: MaxBatch: a batch of %d calls, limit %d", ErrLimit, len(calls), MaxBatch)
	}
	b.PutID(id)
	if err := e.EncodeUint(uint64(flags)); err != nil {
		return err
	}
	if err := e.EncodeArrayLen(len(calls)); err != nil {
		return err
	}
	for i, c := range calls {
		c.SetID(id + 1 + uint64(i))
		if err := PutPart(b, e, c.B[prefixLen+1:]); err != nil {
			return err
		}
	}
	return nil
}

// PutPart appends one part of a batch: a call's or a reply's body as a
// bin, or nil for none.
func PutPart(b *Buffer, e *Encoder, part []byte) error {
	if part == nil {
		return e.EncodeNil()
	}
	if err := e.EncodeBytesLen(len(part)); err != nil {
		return err
	}
	b.B = append(b.B, part...)
	return nil
}

// PartSize is what a part of n bytes adds to a batch frame.
func PartSize(n int) int {
	switch {
	case n <= 0xff:
		return n + 2
	case n <= 0xffff:
		return n + 3
	}
	return n + 5
}

// ReadBatch decodes a KindBatch frame's body (after the kind byte). A
// batch of more than MaxBatch calls is refused with ErrLimit, after
// h.ID is read, so that the refusal can name the batch; anything else
// amiss is ErrMalformed.
func ReadBatch(body []byte, h *Batch) error {
	d := NewDecoder(body)
	defer d.Release()
	var err error
	if h.ID, err = readID(d); err != nil {
		return fmt.Errorf("%w: batch id: %w", ErrMalformed, err)
	}
	f, err := d.DecodeUint64()
	if err != nil {
		return fmt.Errorf("%w: batch %d flags: %w", ErrMalformed, h.ID, err)
	}
	h.Flags = BatchFlags(f)
	if h.Flags&^knownBatchFlags != 0 {
		return fmt.Errorf("%w: batch %d has unknown flags %#x", ErrMalformed, h.ID, f&^uint64(knownBatchFlags))
	}
	n, err := d.partsLen()
	if err != nil {
		return fmt.Errorf("batch %d: %w", h.ID, err)
	}
	h.Calls = make([][]byte, n)
	for i := range h.Calls {
		p, err := d.part()
		if err != nil {
			return fmt.Errorf("batch %d, call %d: %w", h.ID, i, err)
		}
		want := h.ID + 1 + uint64(i)
		if len(p) < idLen || p[0] != msgpcode.Uint64 || binary.BigEndian.Uint64(p[1:idLen]) != want {
			return fmt.Errorf("%w: batch %d: call %d must carry id %d", ErrMalformed, h.ID, i, want)
		}
		h.Calls[i] = p
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("%w: batch %d: %d trailing bytes", ErrMalformed, h.ID, d.Remaining())
	}
	return nil
}

// BatchReturn is a decoded KindBatchReturn frame.
type BatchReturn struct {
	ID   uint64
	Code objerr.Code // not 0: the batch was refused, Error says why
	// Error is why the batch was refused, when Code is not 0.
	Error ErrorBody
	// Parts are the replies, one per call in order: the body of a reply
	// frame, or nil for a one-way call. Slices of the frame.
	Parts [][]byte
}

// PutBatchReturn starts b (a KindBatchReturn buffer) for the replies to
// n calls; PutPart appends each.
func PutBatchReturn(b *Buffer, e *Encoder, id uint64, n int) error {
	b.PutID(id)
	if err := e.EncodeUint(0); err != nil {
		return err
	}
	return e.EncodeArrayLen(n)
}

// BatchError builds a whole KindBatchReturn frame that refuses batch
// id: none of its calls ran.
func BatchError(id uint64, code objerr.Code, body *ErrorBody) *Buffer {
	b := GetBuffer(KindBatchReturn)
	e := NewEncoder(b)
	defer e.Release()
	b.PutID(id)
	e.EncodeUint(uint64(code))
	PutError(e, body)
	return b
}

// ReadBatchReturn decodes a KindBatchReturn frame's body (after the kind
// byte). The parts are not validated: each is a reply, for the caller
// to check as it checks any.
func ReadBatchReturn(body []byte, r *BatchReturn) error {
	d := NewDecoder(body)
	defer d.Release()
	var err error
	if r.ID, err = readID(d); err != nil {
		return fmt.Errorf("%w: batch reply id: %w", ErrMalformed, err)
	}
	c, err := d.DecodeUint8()
	if err != nil {
		return fmt.Errorf("%w: reply to batch %d: code: %w", ErrMalformed, r.ID, err)
	}
	r.Code, r.Parts = objerr.Code(c), nil
	if r.Code != 0 {
		if err := ReadError(d, &r.Error); err != nil {
			return fmt.Errorf("%w: reply to batch %d: %w", ErrMalformed, r.ID, err)
		}
	} else {
		n, err := d.partsLen()
		if err != nil {
			return fmt.Errorf("reply to batch %d: %w", r.ID, err)
		}
		r.Parts = make([][]byte, n)
		for i := range r.Parts {
			if r.Parts[i], err = d.part(); err != nil {
				return fmt.Errorf("reply to batch %d, part %d: %w", r.ID, i, err)
			}
		}
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("%w: reply to batch %d: %d trailing bytes", ErrMalformed, r.ID, d.Remaining())
	}
	return nil
}

// partsLen reads the length of a batch's array of parts: at most
// MaxBatch, and no more than the bytes left could hold.
func (d *Decoder) partsLen() (int, error) {
	n, err := d.DecodeArrayLen()
	switch {
	case err != nil:
		return 0, fmt.Errorf("%w: parts: %w", ErrMalformed, err)
	case n < 0 || n > d.Remaining():
		return 0, fmt.Errorf("%w: %d parts with %d bytes left", ErrMalformed, n, d.Remaining())
	case n > MaxBatch:
		return 0, fmt.Errorf("%w: MaxBatch: %d calls in one batch, limit %d", ErrLimit, n, MaxBatch)
	}
	return n, nil
}

// part reads one part: a bin, returned as a slice of the decoder's
// bytes (no copy), or nil.
func (d *Decoder) part() ([]byte, error) {
	rest := d.p[len(d.p)-d.r.Len():]
	if len(rest) == 0 {
		return nil, fmt.Errorf("%w: truncated", ErrMalformed)
	}
	if rest[0] == msgpcode.Nil {
		d.r.ReadByte()
		return nil, nil
	}
	switch rest[0] {
	case msgpcode.Bin8, msgpcode.Bin16, msgpcode.Bin32:
	default:
		return nil, fmt.Errorf("%w: a part has code %#x, want bin or nil", ErrMalformed, rest[0])
	}
	n, skip, err := head(rest)
	if err != nil {
		return nil, err
	}
	size := -n - 1
	if size > len(rest)-skip {
		return nil, fmt.Errorf("%w: a part of %d bytes with %d left", ErrMalformed, size, len(rest)-skip)
	}
	if size == 0 {
		return nil, fmt.Errorf("%w: an empty part", ErrMalformed)
	}
	p := rest[skip : skip+size : skip+size]
	if _, err := d.r.Seek(int64(skip+size), io.SeekCurrent); err != nil {
		return nil, err
	}
	return p, nil
}
