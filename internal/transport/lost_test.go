package transport

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

type nopHandler struct{}

func (nopHandler) ServeCall(context.Context, *Conn, *wire.CallHeader, *wire.Decoder) *wire.Buffer {
	return nil
}
func (nopHandler) Lost(*Conn)                      {}
func (nopHandler) Dropped(*Conn, *wire.CallHeader) {}

// lostError opens a connection to a peer whose hello is peer, lets the
// peer hang up, and returns the error of a call made after that, with
// the local address the peer saw.
func lostError(t *testing.T, peer wire.Hello) (error, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	other, err := ln.Accept()
	require.NoError(t, err)

	closed := make(chan struct{})
	c := New(context.Background(), nc, peer, Principal{}, Config{}, nopHandler{},
		func(*Conn) {}, func(*Conn) { close(closed) })
	c.Start()
	other.Close()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the connection did not notice the hang-up")
	}
	_, err = c.Call(context.Background(), wire.GetBuffer(wire.KindCall))
	return err, nc.RemoteAddr().String()
}

// A lost connection is named by the peer's runtime and the endpoint its
// hello gave, not by the address it came from (on a connection the peer
// opened, an ephemeral source port); by the address when the peer
// listens on no port.
func TestLostNamesThePeersEndpoint(t *testing.T) {
	id := uuid.New()
	err, addr := lostError(t, wire.Hello{Runtime: id, Endpoint: "10.1.2.3:1099"})
	require.ErrorIs(t, err, objerr.ErrConnection)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.Contains(t, err.Error(), "connection to runtime "+id.String()+" at 10.1.2.3:1099 lost")
	assert.NotContains(t, err.Error(), addr)

	err, addr = lostError(t, wire.Hello{Runtime: id})
	require.ErrorIs(t, err, objerr.ErrConnection)
	assert.Contains(t, err.Error(), "connection to runtime "+id.String()+" at "+addr+" (it listens on no port) lost")
}
