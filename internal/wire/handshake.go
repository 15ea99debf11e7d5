package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
)

// Magic opens every connection, in both directions.
const Magic = "ORMI"

// Version is the protocol version this build speaks.
const Version byte = 1

// Handshake errors.
var (
	ErrNotObjrmi      = errors.New("objrmi/wire: peer does not speak objrmi (bad magic)")
	ErrVersion        = errors.New("objrmi/wire: unsupported protocol version")
	ErrHandshakeFrame = errors.New("objrmi/wire: malformed hello")
)

// maxHello bounds a hello frame: a uuid, an endpoint and a short message.
const maxHello = 4096

// Hello is what each side says about itself when a connection opens.
type Hello struct {
	Runtime  uuid.UUID // the sender's identity
	Endpoint string    // where the sender listens, "" if it does not
	// Refusal, in a server's hello, says why the server will not talk;
	// empty means accepted.
	Refusal string
	// PingEvery is how often the sender wants a ping on an idle
	// connection, so that its heartbeat timeout holds whatever the other
	// side's own settings. Zero means no wish.
	PingEvery time.Duration
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
	if err := e.EncodeArrayLen(4); err != nil {
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
	n := len(b.B) - start
	b.B[start-4], b.B[start-3], b.B[start-2], b.B[start-1] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	_, err := w.Write(b.B)
	return err
}

// ReadHello reads the peer's magic, version and hello.
func ReadHello(r *bufio.Reader, h *Hello) error {
	var head [len(Magic) + 1]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return err
	}
	if string(head[:len(Magic)]) != Magic {
		return ErrNotObjrmi
	}
	if v := head[len(Magic)]; v != Version {
		return fmt.Errorf("%w: peer speaks %d, this runtime %d", ErrVersion, v, Version)
	}
	f, err := ReadFrame(r, maxHello)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHandshakeFrame, err)
	}
	defer f.Release()
	d := NewDecoder(f.B)
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
	if n != 4 {
		return fmt.Errorf("%d fields, want 4", n)
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
	h.PingEvery = time.Duration(max(ping, 0))
	return err
}
