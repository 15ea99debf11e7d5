package retry

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/objerr"
)

// Seqs numbers a runtime's calls that exactly-once records protect. A
// call keeps its number over every attempt and reconnection; with the
// runtime's id (which the connection's handshake proves) it names the
// call to the server. Acked is the acknowledgement every such call
// carries: this runtime has the outcome of every call numbered below it,
// so servers may drop those records.
type Seqs struct {
	mu       sync.Mutex
	next     uint64 // last number given
	low      uint64 // no call below it is in flight
	inflight map[uint64]struct{}
}

// NewSeqs returns a tracker whose first number is 1.
func NewSeqs() *Seqs { return &Seqs{low: 1, inflight: make(map[uint64]struct{})} }

// Begin numbers a new call.
func (s *Seqs) Begin() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	s.inflight[s.next] = struct{}{}
	return s.next
}

// End says the call's outcome is settled: it will not be sent again.
func (s *Seqs) End(seq uint64) {
	s.mu.Lock()
	delete(s.inflight, seq)
	s.mu.Unlock()
}

// Acked is the lowest number still in flight (or the next to be given).
func (s *Seqs) Acked() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.low <= s.next {
		if _, busy := s.inflight[s.low]; busy {
			break
		}
		s.low++
	}
	return s.low
}

// Call is one protected call's identity over its attempts, in the
// context of each attempt.
type Call struct {
	Seqs *Seqs
	Seq  uint64
	// Runtime is the server runtime the first sent attempt reached. A
	// retry that finds another runtime at the endpoint (it restarted)
	// must not be sent: the new one has no record of the call.
	Runtime uuid.UUID
	// Sent says an attempt reached a connection.
	Sent bool
}

type callKey struct{}

// WithCall returns ctx carrying c, for the attempts of one call.
func WithCall(ctx context.Context, c *Call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// Stamp fills in an attempt's header fields for a protected call about
// to go to the runtime peer, or refuses the attempt if an earlier one
// went to another runtime.
func Stamp(ctx context.Context, peer uuid.UUID) (seq, acked uint64, err error) {
	c, ok := ctx.Value(callKey{}).(*Call)
	if !ok {
		return 0, 0, nil
	}
	if c.Sent && c.Runtime != peer {
		return 0, 0, &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeRecordGone,
			Reason: fmt.Sprintf("the server runtime restarted (it was %s, it is now %s): the completion record of the first attempt is gone with it, so the call was not sent again; it may have run once",
				c.Runtime, peer)}
	}
	c.Runtime, c.Sent = peer, true
	return c.Seq, c.Seqs.Acked(), nil
}
