package transport

import (
	"io"
	"net"
	"sync"
)

// Buffers. An idle connection holds no buffer of its size class: its
// reader waits for the next bytes in a small array inside the Conn, and
// takes a pooled readBufSize buffer only once bytes arrive faster than
// that array holds; its writer takes one while it has bytes to write and
// gives it back at each flush. So the runtime's buffers follow the
// connections that are moving data, not those that exist
// (grpc/grpc-go#6309's pattern).

// smallRead is the array a connection reads into when it has nothing
// buffered: room for a small call or reply whole, so that a sequential
// caller's reply takes one read.
const smallRead = 512

var bufPool = sync.Pool{New: func() any { return new([readBufSize]byte) }}

// connReader buffers the socket's bytes for the reader goroutine, as
// bufio.Reader would, but holds its large buffer only while data keeps
// coming.
type connReader struct {
	nc    io.Reader
	big   *[readBufSize]byte // nil while idle
	small [smallRead]byte
	buf   []byte // small[:] or big[:]
	r, w  int    // buf[r:w] is unread
	full  bool   // the last read filled buf: more is likely waiting
	err   error  // from the last read, returned once buf is empty
}

func (cr *connReader) Read(p []byte) (int, error) {
	if cr.r == cr.w {
		if cr.err != nil {
			err := cr.err
			cr.err = nil
			return 0, err
		}
		if len(p) >= readBufSize {
			// A large frame's body: straight into it, as bufio does.
			cr.release()
			return cr.nc.Read(p)
		}
		if cr.full {
			if cr.big == nil {
				cr.big = bufPool.Get().(*[readBufSize]byte)
			}
			cr.buf = cr.big[:]
		} else {
			cr.release()
			cr.buf = cr.small[:]
		}
		n, err := cr.nc.Read(cr.buf)
		cr.r, cr.w, cr.full, cr.err = 0, n, n == len(cr.buf), err
		if n == 0 {
			cr.err = nil
			if err == nil {
				err = io.ErrNoProgress
			}
			return 0, err
		}
	}
	n := copy(p, cr.buf[cr.r:cr.w])
	cr.r += n
	return n, nil
}

// release gives the large buffer back; only while nothing is buffered.
func (cr *connReader) release() {
	if cr.big != nil {
		bufPool.Put(cr.big)
		cr.big = nil
		cr.buf = cr.small[:]
	}
}

// connWriter buffers frames for the socket, as bufio.Writer would, but
// holds its buffer only between a write and the flush that follows.
// Writers hold the Conn's write lock.
type connWriter struct {
	nc  net.Conn
	buf *[readBufSize]byte // nil when empty
	n   int                // bytes buffered
	err error              // sticky, as bufio.Writer's
}

func (cw *connWriter) Buffered() int  { return cw.n }
func (cw *connWriter) Available() int { return readBufSize - cw.n }

func (cw *connWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > cw.Available() && cw.err == nil {
		var m int
		if cw.n == 0 {
			// Larger than the buffer, and nothing buffered: straight to
			// the socket, as bufio does.
			m, cw.err = cw.nc.Write(p)
		} else {
			m = copy(cw.take()[cw.n:], p)
			cw.n += m
			cw.Flush()
		}
		written += m
		p = p[m:]
	}
	if cw.err != nil {
		return written, cw.err
	}
	m := copy(cw.take()[cw.n:], p)
	cw.n += m
	return written + m, nil
}

func (cw *connWriter) take() *[readBufSize]byte {
	if cw.buf == nil {
		cw.buf = bufPool.Get().(*[readBufSize]byte)
	}
	return cw.buf
}

// Flush writes what is buffered and gives the buffer back.
func (cw *connWriter) Flush() error {
	if cw.err != nil {
		return cw.err
	}
	if cw.n > 0 {
		m, err := cw.nc.Write(cw.buf[:cw.n])
		if err == nil && m < cw.n {
			err = io.ErrShortWrite
		}
		cw.err = err
		cw.n = 0
	}
	if cw.buf != nil {
		bufPool.Put(cw.buf)
		cw.buf = nil
	}
	return cw.err
}
