package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/wire"
)

// idleConn is a Conn over a real socket whose reader and heartbeat do
// not run: the test plays the reader by calling dispatch. What the Conn
// writes is read and dropped.
func idleConn(t *testing.T) *Conn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	other, err := ln.Accept()
	require.NoError(t, err)
	drained := make(chan struct{})
	go func() {
		io.Copy(io.Discard, other)
		close(drained)
	}()
	c := New(context.Background(), nc, wire.Hello{}, Principal{}, Config{}, nopHandler{},
		func(*Conn) {}, func(*Conn) {})
	t.Cleanup(func() {
		c.fail(errors.New("test over"))
		other.Close()
		<-drained
	})
	return c
}

func frameOf(k wire.Kind, fill func(b *wire.Buffer)) *wire.Frame {
	b := wire.GetBuffer(k)
	defer b.Release()
	fill(b)
	return &wire.Frame{B: append([]byte(nil), b.Bytes()[4:]...)}
}

// openStream opens a stream on c, playing the callee's opening.
func openStream(t *testing.T, c *Conn, items uint64, bytes int) *StreamIn {
	t.Helper()
	type opened struct {
		s   *StreamIn
		err error
	}
	done := make(chan opened, 1)
	go func() {
		b := wire.GetBuffer(wire.KindCall)
		b.PutID(0)
		s, f, err := c.OpenStream(context.Background(), b, items, bytes)
		if f != nil {
			err = errors.New("the call ended")
		}
		done <- opened{s, err}
	}()
	require.Eventually(t, func() bool { _, waiting := c.Inflight(); return waiting == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, c.dispatch(frameOf(wire.KindItem, func(b *wire.Buffer) { wire.PutOpened(b, 1) })))
	o := <-done
	require.NoError(t, o.err)
	return o.s
}

// A stream cancelled from another goroutine (its context's end) while
// its consumer waits for a reply the reader has already taken, on a
// connection that just died, still ends: nothing waits for a signal that
// the cancel made moot.
func TestCancelWhileNextWaitsForATakenReply(t *testing.T) {
	c := idleConn(t)
	s := openStream(t, c, 4, 1<<20)
	next := make(chan error, 1)
	go func() {
		_, _, err := s.Next(context.Background())
		next <- err
	}()
	// The reader takes the reply's pending entry, and then the
	// connection dies before it delivers the reply.
	c.mu.Lock()
	delete(c.pending, s.id)
	c.mu.Unlock()
	c.fail(errors.New("the peer hung up"))
	time.Sleep(50 * time.Millisecond) // Next sees the death and waits for the reply
	s.Cancel(context.Background())
	s.ended(frameOf(wire.KindReturn, func(b *wire.Buffer) {
		e := wire.NewEncoder(b)
		defer e.Release()
		wire.PutReturn(b, e, wire.ReturnHeader{ID: s.id})
		e.EncodeArrayLen(0)
	}))
	select {
	case err := <-next:
		assert.ErrorIs(t, err, errCanceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Next never returned")
	}
}

// Credit goes back once half the target is free; the target is the item
// window, shrunk to the byte window once items show their size.
func TestCreditGoesBackByHalfWindows(t *testing.T) {
	s := &StreamIn{items: 8, bytes: 1 << 20, credit: 8}
	take := func() uint64 {
		s.credit--
		return s.grant()
	}
	for i := range 3 {
		assert.Zero(t, take(), "item %d", i)
	}
	assert.Equal(t, uint64(4), take(), "half the window is free")

	s = &StreamIn{items: 64, bytes: 40 << 10, credit: 0, largest: 10 << 10}
	assert.Equal(t, uint64(4), s.grant(), "40 KiB of 10 KiB items")
	s = &StreamIn{items: 64, bytes: 1 << 10, credit: 0, largest: 10 << 10}
	assert.Equal(t, uint64(1), s.grant(), "never below one item")
	s = &StreamIn{items: 1, bytes: 1 << 20, credit: 0}
	assert.Equal(t, uint64(1), s.grant(), "a window of one: one at a time")
}
