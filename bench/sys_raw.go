package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// The raw TCP floor: a length-prefixed echo with nothing else, no
// encoding, no call table, no contexts. A frame is a 4-byte length, a
// 4-byte caller number, then the payload; the server sends each frame
// back as it came. Add sends a and b and sums the echo.

const rawHeader = 8

var rawSystem = system{
	name:  floorName,
	about: "raw TCP echo, one connection per caller: the floor",
	serve: serveRaw,
	dial: func(_ context.Context, addr string, callers int) (client, error) {
		c := &rawClient{}
		for range callers {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				return nil, err
			}
			c.conns = append(c.conns, &rawConn{nc: nc, br: bufio.NewReaderSize(nc, 64<<10), buf: make([]byte, rawHeader+16)})
		}
		return c, nil
	},
}

var rawPipelinedSystem = system{
	name:  pipelinedName,
	about: "raw TCP echo, all callers pipelined on one connection: the floor for W2",
	serve: serveRaw,
	dial: func(_ context.Context, addr string, callers int) (client, error) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		p := &pipe{nc: nc, bw: bufio.NewWriterSize(nc, 64<<10), done: make(chan struct{}),
			replies: make([]chan []byte, callers), bufs: make([][]byte, callers)}
		for i := range p.replies {
			p.replies[i] = make(chan []byte, 1)
		}
		p.wg.Add(1)
		go p.read()
		return p, nil
	},
}

func serveRaw() (string, func(), error) { return serveLoopback(echo) }

// echo sends every frame back, flushing only when no more input is
// buffered, so a pipelined client's burst costs one write.
func echo(nc net.Conn) {
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 64<<10)
	bw := bufio.NewWriterSize(nc, 64<<10)
	var buf []byte
	for {
		var err error
		if buf, err = readRaw(br, buf); err != nil {
			return
		}
		if _, err := bw.Write(buf); err != nil {
			return
		}
		if br.Buffered() == 0 && bw.Flush() != nil {
			return
		}
	}
}

// readRaw reads one whole frame, header included, into buf's storage.
func readRaw(br *bufio.Reader, buf []byte) ([]byte, error) {
	hdr, err := br.Peek(4)
	if err != nil {
		return buf, err
	}
	n := rawHeader + int(binary.BigEndian.Uint32(hdr))
	if n > 64<<20 {
		return buf, fmt.Errorf("raw frame of %d bytes", n)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err = io.ReadFull(br, buf)
	return buf, err
}

func putRawHeader(b []byte, payload int, id int) {
	binary.BigEndian.PutUint32(b, uint32(payload))
	binary.BigEndian.PutUint32(b[4:], uint32(id))
}

type rawClient struct{ conns []*rawConn }

func (c *rawClient) Caller(i int) caller { return c.conns[i] }

func (c *rawClient) Close() error {
	for _, rc := range c.conns {
		rc.nc.Close()
	}
	return nil
}

// rawConn is one caller's own connection: write a frame, read its echo.
type rawConn struct {
	nc  net.Conn
	br  *bufio.Reader
	buf []byte
}

func (c *rawConn) Add(_ context.Context, a, b int64) (int64, error) {
	putRawHeader(c.buf, 16, 0)
	binary.BigEndian.PutUint64(c.buf[8:], uint64(a))
	binary.BigEndian.PutUint64(c.buf[16:], uint64(b))
	if _, err := c.nc.Write(c.buf[:rawHeader+16]); err != nil {
		return 0, err
	}
	r, err := readRaw(c.br, c.buf)
	if err != nil {
		return 0, err
	}
	c.buf = r
	return int64(binary.BigEndian.Uint64(r[8:])) + int64(binary.BigEndian.Uint64(r[16:])), nil
}

func (c *rawConn) Echo(_ context.Context, p []byte) ([]byte, error) {
	var hdr [rawHeader]byte
	putRawHeader(hdr[:], len(p), 0)
	bufs := net.Buffers{hdr[:], p} // one writev, no copy
	if _, err := bufs.WriteTo(c.nc); err != nil {
		return nil, err
	}
	r, err := readRaw(c.br, c.buf)
	if err != nil {
		return nil, err
	}
	c.buf = r
	return r[rawHeader:], nil
}

// pipe is one connection that every caller shares: callers write under a
// lock, the last one queued flushes, and a reader routes each echo to its
// caller by number. A caller has one call in flight, so its number is
// enough to match the reply.
type pipe struct {
	nc      net.Conn
	mu      sync.Mutex
	bw      *bufio.Writer
	queued  atomic.Int32
	replies []chan []byte
	bufs    [][]byte // the reader's buffer for each caller's echo
	done    chan struct{}
	err     error
	wg      sync.WaitGroup
}

func (p *pipe) Caller(i int) caller { return pipeCaller{p, i} }

func (p *pipe) Close() error {
	err := p.nc.Close()
	p.wg.Wait()
	return err
}

func (p *pipe) read() {
	defer p.wg.Done()
	defer close(p.done)
	br := bufio.NewReaderSize(p.nc, 64<<10)
	for {
		hdr, err := br.Peek(rawHeader)
		if err != nil {
			p.err = err
			return
		}
		n := int(binary.BigEndian.Uint32(hdr))
		id := int(binary.BigEndian.Uint32(hdr[4:]))
		if id >= len(p.bufs) {
			p.err = fmt.Errorf("echo for caller %d of %d", id, len(p.bufs))
			return
		}
		if p.bufs[id], err = readRaw(br, p.bufs[id]); err != nil {
			p.err = err
			return
		}
		p.replies[id] <- p.bufs[id][rawHeader : rawHeader+n]
	}
}

func (p *pipe) call(id int, payload ...[]byte) ([]byte, error) {
	n := 0
	for _, b := range payload {
		n += len(b)
	}
	var hdr [rawHeader]byte
	putRawHeader(hdr[:], n, id)
	p.queued.Add(1)
	p.mu.Lock()
	p.bw.Write(hdr[:])
	for _, b := range payload {
		p.bw.Write(b)
	}
	var err error
	if p.queued.Add(-1) == 0 {
		err = p.bw.Flush() // no one else is queued to flush for us
	}
	p.mu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case r := <-p.replies[id]:
		return r, nil
	case <-p.done:
		return nil, errors.Join(errors.New("raw pipe closed"), p.err)
	}
}

type pipeCaller struct {
	p  *pipe
	id int
}

func (c pipeCaller) Add(_ context.Context, a, b int64) (int64, error) {
	var ab [16]byte
	binary.BigEndian.PutUint64(ab[:], uint64(a))
	binary.BigEndian.PutUint64(ab[8:], uint64(b))
	r, err := c.p.call(c.id, ab[:])
	if err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(r)) + int64(binary.BigEndian.Uint64(r[8:])), nil
}

func (c pipeCaller) Echo(_ context.Context, p []byte) ([]byte, error) { return c.p.call(c.id, p) }
