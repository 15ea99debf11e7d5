package transport

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/wire"
)

// REVIEW (owed refusals): owed frames cost 16 bytes each while queued (up
// to maxOwed, 65,536: 1 MiB), but writeOwed expanded the whole queue into
// one batch of full frames (an "overloaded" refusal is ~120 bytes: ~8 MiB,
// more with append's slack) and held it while the write waited on a peer
// that reads nothing, up to HeartbeatTimeout. A peer that sends ~2 MiB of
// tiny calls past MaxInflight, then stops reading, held ~10 MiB per
// connection. The owed frames must be written in bounded pieces.
func TestReviewOwedFramesAreWrittenInBoundedPieces(t *testing.T) {
	nc, other := net.Pipe() // no kernel buffer: a write waits for a reader
	c := New(context.Background(), nc, wire.Hello{}, Principal{}, Config{}, nopHandler{},
		func(*Conn) {}, func(*Conn) {})
	for id := range uint64(maxOwed) {
		require.True(t, c.owe(owedFrame{id: id + 1}))
	}
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	base := m.HeapAlloc

	done := make(chan struct{})
	go func() { defer close(done); c.writeOwed() }() // the peer reads nothing
	time.Sleep(500 * time.Millisecond)
	runtime.GC()
	runtime.ReadMemStats(&m)
	held := int64(m.HeapAlloc) - int64(base)
	other.Close()
	nc.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("writeOwed did not return once the pipe closed")
	}
	t.Logf("heap held while %d owed frames wait for a peer that reads nothing: %.2f MiB", maxOwed, float64(held)/(1<<20))
	require.Less(t, held, int64(1<<20), "owed frames must be written in bounded pieces")
}
