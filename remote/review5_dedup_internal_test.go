package remote

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Review: the completion table bounded records, but not the callers it
// remembers: every runtime id that sent one exactly-once call, even one
// refused at once (a Seq below its own Acked), left an entry for two
// windows (a minute with the default 30s lease). A peer that reconnects
// under fresh ids grew the table without bound. Callers are now bounded
// (by MaxRecords), a refused call leaves nothing, and a new caller past
// the bound is refused as overloaded, not run.
func TestReview5CompletionCallersAreBounded(t *testing.T) {
	lim := CompletionLimits{MaxRecords: 8}
	require.NoError(t, lim.defaults(time.Minute))
	tab := newCompletions(lim)
	ran := 0
	run := func() *wire.Buffer {
		ran++
		b := wire.GetBuffer(wire.KindReturn)
		e := wire.NewEncoder(b)
		defer e.Release()
		require.NoError(t, wire.PutReturn(b, e, wire.ReturnHeader{ID: 1}))
		require.NoError(t, e.EncodeArrayLen(0))
		return b
	}
	// Calls refused at once (Seq 0 below Acked 1) from many ids.
	for range 100 {
		r := tab.serve(context.Background(), uuid.New(), &wire.CallHeader{ID: 1, Flags: wire.FlagSeq, Seq: 0, Acked: 1}, run)
		assert.Equal(t, objerr.CodeRecordGone, wire.ReplyCode(r))
		r.Release()
	}
	tab.mu.Lock()
	assert.Empty(t, tab.callers, "a refused call leaves no caller behind")
	tab.mu.Unlock()

	// Calls that run, each acknowledged by a second one from the same id
	// (so the records go), from many ids.
	refused := 0
	for range 100 {
		id := uuid.New()
		for seq := uint64(1); seq <= 2; seq++ {
			r := tab.serve(context.Background(), id, &wire.CallHeader{ID: seq, Flags: wire.FlagSeq, Seq: seq, Acked: seq}, run)
			if wire.ReplyCode(r) == objerr.CodeOverloaded {
				refused++
			}
			r.Release()
		}
	}
	tab.mu.Lock()
	assert.LessOrEqual(t, len(tab.callers), lim.MaxRecords, "callers remembered")
	tab.mu.Unlock()
	assert.Positive(t, refused, "callers past the bound are refused")
	assert.Equal(t, 200-refused, ran, "a refused call never runs")
}
