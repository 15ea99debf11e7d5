package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/objerr"
)

// Magic opens every connection, in both directions.
const Magic = "ORMI"

// Version is the protocol version this build speaks. 2: the hardening
// round (reference keys, DGC acknowledgements and epochs, deadline
// cancels). 3: call styles and what builds on them, at once: call flags
// (one-way, streams, call identity, metadata, promise targets), stream
// items and credit, batches, reply metadata and retry advice. A peer of
// another version is refused with a typed error naming both.
const Version byte = 3

// Handshake errors.
var (
	ErrNotObjrmi      = errors.New("objrmi/wire: peer does not speak objrmi (bad magic)")
	ErrVersion        = errors.New("objrmi/wire: unsupported protocol version")
	ErrHandshakeFrame = errors.New("objrmi/wire: malformed hello")
)

// maxHello bounds a hello frame: a uuid, an endpoint, a token and a short
// message.
const maxHello = 8192

// helloFields is the length of the hello array.
const helloFields = 7

// Hello is what each side says about itself when a connection opens.
type Hello struct {
	Runtime  uuid.UUID // the sender's identity
	Endpoint string    // where the sender listens, "" if it does not
	// Refusal, in a server's hello, says why the server will not talk;
	// empty means accepted. Code classifies it, so the dialler gets a
	// typed error and not just the server's words.
	Refusal string
	Code    objerr.Code
	// PingEvery is how often the sender wants a ping on an idle
	// connection, so that its heartbeat timeout holds whatever the other
	// side's own settings. Zero means no wish.
	PingEvery time.Duration
	// Token is the dialler's credential, for a server that checks tokens.
	// Without TLS anyone on the path can read it.
	Token string
	// MaxFrame is the largest frame the sender accepts, so that the
	// other side refuses an oversized call or result locally, as an
	// error for that call alone, instead of sending a frame that would
	// cost the whole connection.
	MaxFrame uint32
}

// WriteHello writes magic, version and h as one flush-ready block.
func WriteHello(w io.Writer, h *Hello) error {
	b := GetBuffer(0)
	defer b.Release()
	b.B = append(b.B[:0], Magic...)
	b.B = append(b.B, Version, 0, 0, 0, 0)
	start := len(b.B)
	e := NewEncoder(b)
	defer e.Release()
	if err := e.EncodeArrayLen(helloFields); err != nil {
		return err
	}
	if err := e.EncodeBytes(h.Runtime[:]); err != nil {
		return err
	}
	if err := e.EncodeString(h.Endpoint); err != nil {
		return err
	}
	if err := e.EncodeString(h.Refusal); err != nil {
		return err
	}
	if err := e.EncodeInt(int64(h.PingEvery)); err != nil {
		return err
	}
	if err := e.EncodeString(h.Token); err != nil {
		return err
	}
	if err := e.EncodeUint(uint64(h.Code)); err != nil {
		return err
	}
	if err := e.EncodeUint(uint64(h.MaxFrame)); err != nil {
		return err
	}
	n := len(b.B) - start
	b.B[start-4], b.B[start-3], b.B[start-2], b.B[start-1] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	_, err := w.Write(b.B)
	return err
}

// ReadHello reads the peer's magic, version and hello. It reads exactly
// the hello's bytes, so r needs no buffer of its own, and whatever
// follows stays in r for the connection.
func ReadHello(r io.Reader, h *Hello) error {
	var head [len(Magic) + 1 + prefixLen]byte
	if _, err := io.ReadFull(r, head[:len(Magic)+1]); err != nil {
		return err
	}
	if string(head[:len(Magic)]) != Magic {
		return ErrNotObjrmi
	}
	if v := head[len(Magic)]; v != Version {
		return fmt.Errorf("%w: peer speaks %d, this runtime %d", ErrVersion, v, Version)
	}
	if _, err := io.ReadFull(r, head[len(Magic)+1:]); err != nil {
		return fmt.Errorf("%w: %w", ErrHandshakeFrame, err)
	}
	n := binary.BigEndian.Uint32(head[len(Magic)+1:])
	if n == 0 || n > maxHello {
		return fmt.Errorf("%w: %d bytes announced, limit %d", ErrHandshakeFrame, n, maxHello)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return fmt.Errorf("%w: %w", ErrHandshakeFrame, err)
	}
	d := NewDecoder(body)
	defer d.Release()
	if err := readHello(d, h); err != nil {
		return fmt.Errorf("%w: %w", ErrHandshakeFrame, err)
	}
	return nil
}

func readHello(d *Decoder, h *Hello) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n != helloFields {
		return fmt.Errorf("%d fields, want %d", n, helloFields)
	}
	id, err := d.BoundedBytes()
	if err != nil {
		return err
	}
	if h.Runtime, err = uuid.FromBytes(id); err != nil {
		return err
	}
	if h.Endpoint, err = d.BoundedString(); err != nil {
		return err
	}
	if h.Refusal, err = d.BoundedString(); err != nil {
		return err
	}
	ping, err := d.DecodeInt64()
	if err != nil {
		return err
	}
	h.PingEvery = time.Duration(max(ping, 0))
	if h.Token, err = d.BoundedString(); err != nil {
		return err
	}
	code, err := d.DecodeUint8()
	if err != nil {
		return err
	}
	h.Code = objerr.Code(code)
	h.MaxFrame, err = d.DecodeUint32()
	return err
}
