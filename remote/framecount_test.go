package remote_test

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/wire"
)

// frameCounter relays TCP between clients and a target, reading the
// objrmi frames it carries and counting them by kind and direction: the
// number of frames a call style costs, seen on the wire.
type frameCounter struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	up     map[wire.Kind]int // client to target
	down   map[wire.Kind]int // target to client
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newFrameCounter(t testing.TB, target string) *frameCounter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fc := &frameCounter{ln: ln, target: target, up: map[wire.Kind]int{}, down: map[wire.Kind]int{}}
	fc.wg.Add(1)
	go fc.accept()
	t.Cleanup(fc.close)
	return fc
}

func (fc *frameCounter) addr() string { return fc.ln.Addr().String() }

func (fc *frameCounter) accept() {
	defer fc.wg.Done()
	for {
		in, err := fc.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", fc.target)
		if err != nil {
			in.Close()
			continue
		}
		fc.mu.Lock()
		fc.conns = append(fc.conns, in, out)
		fc.mu.Unlock()
		fc.wg.Add(2)
		go fc.relay(out, in, true)
		go fc.relay(in, out, false)
	}
}

// relay copies src to dst frame by frame: the magic and version, the
// hello, then frames, each counted by its kind.
func (fc *frameCounter) relay(dst, src net.Conn, upstream bool) {
	defer fc.wg.Done()
	defer dst.Close()
	defer src.Close()
	r := bufio.NewReader(src)
	head := make([]byte, 5)
	if _, err := io.ReadFull(r, head); err != nil {
		return
	}
	if _, err := dst.Write(head); err != nil {
		return
	}
	for first := true; ; first = false {
		var p [4]byte
		if _, err := io.ReadFull(r, p[:]); err != nil {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(p[:]))
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		if !first && len(body) > 0 { // the first is the hello, with no kind
			fc.mu.Lock()
			if upstream {
				fc.up[wire.Kind(body[0])]++
			} else {
				fc.down[wire.Kind(body[0])]++
			}
			fc.mu.Unlock()
		}
		if _, err := dst.Write(append(p[:], body...)); err != nil {
			return
		}
	}
}

// counts returns the frames counted so far, without pings, and starts
// counting again.
func (fc *frameCounter) counts() (up, down map[wire.Kind]int) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	up, down = fc.up, fc.down
	delete(up, wire.KindPing)
	delete(down, wire.KindPing)
	fc.up, fc.down = map[wire.Kind]int{}, map[wire.Kind]int{}
	return up, down
}

func (fc *frameCounter) close() {
	fc.ln.Close()
	fc.mu.Lock()
	for _, c := range fc.conns {
		c.Close()
	}
	fc.mu.Unlock()
	fc.wg.Wait()
}
