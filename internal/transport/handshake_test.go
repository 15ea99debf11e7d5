package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/internal/wire"
)

// FuzzAccept feeds the server half of the handshake whatever a stranger
// might send first: it must answer or refuse, never panic or hang.
func FuzzAccept(f *testing.F) {
	var hello bytes.Buffer
	wire.WriteHello(&hello, &wire.Hello{Runtime: uuid.New(), Endpoint: "127.0.0.1:1", Token: "t0ken"})
	f.Add(hello.Bytes())
	f.Add([]byte{0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5}) // a TLS record
	f.Add([]byte("ORMI\x02\x00\x00\x00\x00"))                  // an older version
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	sec := &Security{RequireAuth: true, CheckToken: func(_ context.Context, token string) (string, error) {
		if token == "t0ken" {
			return "fuzzer", nil
		}
		return "", errors.New("no")
	}}
	me := wire.Hello{Runtime: uuid.New()}
	f.Fuzz(func(t *testing.T, data []byte) {
		server, client := net.Pipe()
		var wg sync.WaitGroup
		wg.Go(func() { client.Write(data); client.Close() })
		wg.Go(func() { io.Copy(io.Discard, client) })
		conn, _, who, err := Accept(server, me, time.Second, sec, func(wire.Hello, Principal) error { return nil })
		if err == nil {
			if who.Name != "fuzzer" {
				t.Fatalf("accepted %q without its token", who.Name)
			}
			conn.Close()
		}
		server.Close()
		wg.Wait()
	})
}
