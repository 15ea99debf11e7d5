package transport

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// echoHandler answers every call with an empty reply.
type echoHandler struct{ nopHandler }

func (echoHandler) ServeCall(_ context.Context, _ *Conn, h *wire.CallHeader, _ *wire.Decoder) *wire.Buffer {
	return wire.ErrorReply(h.ID, objerr.CodeApplication, &wire.ErrorBody{Message: "answered"})
}

// smallCall is a call to method 2 of object 7, with no arguments.
func smallCall(t *testing.T) *wire.Buffer {
	b := wire.GetBuffer(wire.KindCall)
	e := wire.NewEncoder(b)
	defer e.Release()
	require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{Object: 7, Method: 2}))
	require.NoError(t, e.EncodeArrayLen(0))
	return b
}

// An idle connection costs its reader alone, and holds no pooled buffer:
// heartbeats come from the hub's one timer, methods run on its shared
// workers, and buffers go back to their pool once the data has moved.
// Pings still keep a connection whose peer says nothing else alive past
// HeartbeatTimeout.
func TestAnIdleConnectionCostsItsReaderAlone(t *testing.T) {
	const pairs = 50
	hub := NewHub()
	defer hub.Close()
	cfg := Config{Hub: hub, HeartbeatInterval: 200 * time.Millisecond, HeartbeatTimeout: time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	before := runtime.NumGoroutine()
	var conns []*Conn
	closed := make(chan struct{}, 2*pairs)
	for range pairs {
		a, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		b, err := ln.Accept()
		require.NoError(t, err)
		for _, nc := range []net.Conn{a, b} {
			c := New(context.Background(), nc, wire.Hello{}, Principal{}, cfg, echoHandler{},
				func(*Conn) {}, func(*Conn) { closed <- struct{}{} })
			c.Start()
			conns = append(conns, c)
		}
	}
	defer func() {
		for _, c := range conns {
			c.Kill(nil)
		}
		for range conns {
			<-closed
		}
	}()
	for i, c := range conns {
		if i%2 == 0 {
			f, err := c.Call(context.Background(), smallCall(t))
			require.NoError(t, err)
			f.Release()
		}
	}
	// Idle for several HeartbeatTimeouts: pings alone keep them alive.
	time.Sleep(2 * time.Second)
	for _, c := range conns {
		require.NoError(t, c.Err(), "pings keep an idle connection alive")
		assert.Nil(t, c.rd.big, "an idle reader holds no pooled buffer")
		c.w.lock <- struct{}{}
		assert.Nil(t, c.w.bw.buf, "an idle writer holds no buffer")
		<-c.w.lock
	}
	require.Eventually(t, func() bool {
		hub.pool.trim() // the workers the calls and pings needed, parked since
		hub.pool.trim()
		return runtime.NumGoroutine()-before <= len(conns)+2
	}, 5*time.Second, 10*time.Millisecond, "one reader per connection, and the hub's timer, got %d for %d connections",
		runtime.NumGoroutine()-before, len(conns))
}
