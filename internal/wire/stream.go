package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Streams. A call with FlagStream asks for its results as a stream: the
// callee answers with KindItem frames, then ends the stream with the
// call's ordinary KindReturn frame (success with no results, or the
// error that ended the stream). The caller grants items by credit: the
// call header's Credit at first, then KindCredit frames as its consumer
// takes items; the callee never has more items on their way than the
// caller granted and did not take.
//
// A KindItem body is the call id (fixed width, as in every frame that
// names a call), then an array of zero or one values:
//
//   - zero values (0x90): the stream is open. The method returned its
//     iterator without error; the caller's stub returns it to the user.
//     It comes once, first, and takes no credit.
//   - one value (0x91 then the item): one item, encoded as a result
//     list of one value would be, remote references included.
//
// A KindCredit body is the call id, then a positive integer: how many
// more items the caller takes.

// Item array headers: the stream is open, or one item follows.
const (
	itemOpened byte = 0x90
	itemOne    byte = 0x91
)

// PutOpened writes the whole body of the item frame b (a KindItem
// buffer) that opens the stream of call id.
func PutOpened(b *Buffer, id uint64) {
	b.PutID(id)
	b.B = append(b.B, itemOpened)
}

// PutItemHeader starts the item frame b (a KindItem buffer) of call id:
// the item, a single value, must follow, written by the encoder.
func PutItemHeader(b *Buffer, id uint64) {
	b.PutID(id)
	b.B = append(b.B, itemOne)
}

// ReadItem decodes an item frame's header; d is positioned after the
// kind byte. For an item (opened false), d is left at its one-element
// list, which the caller validates and decodes as a result list; for
// the opening frame, nothing may follow.
func ReadItem(d *Decoder) (id uint64, opened bool, err error) {
	if id, err = readID(d); err != nil {
		return 0, false, fmt.Errorf("item: %w", err)
	}
	c, err := d.PeekCode()
	if err != nil {
		return id, false, fmt.Errorf("item of call %d: %w", id, err)
	}
	switch c {
	case itemOpened:
		d.Skip()
		if n := d.Remaining(); n != 0 {
			return id, false, fmt.Errorf("%w: item of call %d: %d bytes after the stream's opening", ErrMalformed, id, n)
		}
		return id, true, nil
	case itemOne:
		return id, false, nil
	}
	return id, false, fmt.Errorf("%w: item of call %d starts with %#x, want an array of 0 or 1 values (0x90, 0x91)", ErrMalformed, id, c)
}

// PutCredit writes the whole body of the credit frame b (a KindCredit
// buffer): call id may send n more items.
func PutCredit(b *Buffer, id, n uint64) {
	b.PutID(id)
	if n <= 0x7f {
		b.B = append(b.B, byte(n))
		return
	}
	b.B = binary.BigEndian.AppendUint64(append(b.B, msgpcode.Uint64), n)
}

// ReadCredit decodes a credit frame's body (after the kind byte). A
// credit of zero grants nothing, and no runtime sends one: like any other
// malformed frame, it is an error.
func ReadCredit(body []byte) (id, n uint64, err error) {
	d := NewDecoder(body)
	defer d.Release()
	if id, err = readID(d); err != nil {
		return 0, 0, fmt.Errorf("credit: %w", err)
	}
	c, err := d.PeekCode()
	if err != nil {
		return id, 0, fmt.Errorf("credit of call %d: %w", id, err)
	}
	if !msgpcode.IsFixedNum(c) && c != msgpcode.Uint8 && c != msgpcode.Uint16 && c != msgpcode.Uint32 && c != msgpcode.Uint64 {
		return id, 0, fmt.Errorf("%w: credit of call %d has code %#x, want a positive integer", ErrMalformed, id, c)
	}
	if n, err = d.DecodeUint64(); err != nil {
		return id, 0, fmt.Errorf("credit of call %d: %w", id, err)
	}
	if n == 0 || c >= msgpcode.NegFixedNumLow {
		return id, 0, fmt.Errorf("%w: credit of call %d grants %d items, want at least 1", ErrMalformed, id, int64(n))
	}
	if r := d.Remaining(); r != 0 {
		return id, 0, fmt.Errorf("%w: credit of call %d: %d trailing bytes", ErrMalformed, id, r)
	}
	return id, n, nil
}
