package remote_test

import (
	"bufio"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/remote"
)

// rawHandshake opens a socket to endpoint and completes the handshake by
// hand, as a hostile peer would before misbehaving.
func rawHandshake(t *testing.T, endpoint string) (net.Conn, *bufio.Reader) {
	nc, err := net.Dial("tcp", endpoint)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	require.NoError(t, wire.WriteHello(nc, &wire.Hello{Runtime: uuid.New()}))
	br := bufio.NewReader(nc)
	var h wire.Hello
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	require.NoError(t, wire.ReadHello(br, &h))
	require.Empty(t, h.Refusal)
	nc.SetReadDeadline(time.Time{})
	return nc, br
}

// Bad input closes only the offending connection; a legitimate client on
// the same server keeps working throughout.
func TestHostileInputClosesOnlyThatConnection(t *testing.T) {
	srv, _, _, calc := pair(t)
	ctx := ctxT(t)
	oversized := make([]byte, 4)
	binary.BigEndian.PutUint32(oversized, 1<<30)
	attacks := map[string][]byte{
		"unknown kind":       {0, 0, 0, 1, 99},
		"oversized prefix":   oversized,
		"call without id":    {0, 0, 0, 2, byte(wire.KindCall), 0x01},
		"truncated call hdr": {0, 0, 0, 10, byte(wire.KindCall), 0xcf, 0, 0, 0, 0, 0, 0, 0, 1},
	}
	for name, junk := range attacks {
		t.Run(name, func(t *testing.T) {
			nc, br := rawHandshake(t, srv.Endpoint())
			_, err := nc.Write(junk)
			require.NoError(t, err)
			nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = br.ReadByte()
			assert.Error(t, err, "the server hangs up on the attacker")

			sum, err := calc.Add(ctx, 1, 2)
			require.NoError(t, err, "the legitimate client is untouched")
			assert.Equal(t, int64(3), sum)
		})
	}

	t.Run("not objrmi at all", func(t *testing.T) {
		nc, err := net.Dial("tcp", srv.Endpoint())
		require.NoError(t, err)
		defer nc.Close()
		_, err = nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		require.NoError(t, err)
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = bufio.NewReader(nc).ReadByte()
		assert.Error(t, err)
		_, err = calc.Add(ctx, 1, 2)
		require.NoError(t, err)
	})
}

// A peer speaking another protocol version is told why it is refused.
func TestVersionSkewIsRefusedWithReason(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	nc, err := net.Dial("tcp", srv.Endpoint())
	require.NoError(t, err)
	defer nc.Close()
	_, err = nc.Write([]byte("ORMI\x07\x00\x00\x00\x00"))
	require.NoError(t, err)
	var h wire.Hello
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	require.NoError(t, wire.ReadHello(bufio.NewReader(nc), &h))
	assert.Contains(t, h.Refusal, "unsupported protocol version")
}
