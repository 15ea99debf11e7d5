package remote

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Completion records: exactly-once execution while this runtime lives
// (RIFL, SOSP 2015, on top of the DGC's leases).
//
// A call that carries an identity (wire.FlagSeq: the caller's sequence
// number, with the caller's runtime id, which its connection's handshake
// proved) runs at most once here. Its first arrival creates a record and
// runs the method; the reply is kept in the record. A repeat of the call
// (a retry after a lost connection) is answered from the record, or
// waits for the first run if it is still going, and never runs again.
//
// A record goes when its caller acknowledges it (the Acked of any later
// call from that caller: it has the outcome of every call numbered
// below), when its caller's lease here lapses, or Window after the call
// completed. Each caller keeps the highest number whose record went
// without an acknowledgement: a repeat at or below it finds no record
// and is refused with objerr.CodeRecordGone, never run again.
//
// Records are bounded in count (in all and per caller) and in bytes, and
// the callers remembered by MaxRecords too. A new call that finds no
// room is refused as overloaded, not run, with a RetryAfter: a protected call never runs without a record. A reply too
// large for the byte bound is sent but not kept, and its call counts as
// gone.
//
// Concurrency: one mutex over the whole table; the method runs outside
// it, and waiters wait on the record's done channel.

// CompletionLimits bound the completion records a runtime keeps for
// exactly-once calls (RetryPolicy.ExactlyOnce) as a server
// (Options.Completion). Zero fields take defaults.
type CompletionLimits struct {
	// MaxRecords bounds the records in all, and the callers remembered,
	// default 65,536;
	// MaxRecordsPerCaller those of one calling runtime, default 8,192.
	MaxRecords, MaxRecordsPerCaller int
	// MaxBytes bounds the replies kept in all, default 64 MiB.
	MaxBytes int
	// Window is how long a record is kept after its call completed, if
	// its caller does not acknowledge it first. A retry must come within
	// it: keep it above the callers' deadlines. Default Options.Lease.
	Window time.Duration
}

func (l *CompletionLimits) defaults(lease time.Duration) error {
	if l.MaxRecords < 0 || l.MaxRecordsPerCaller < 0 || l.MaxBytes < 0 || l.Window < 0 {
		return fmt.Errorf("objrmi: Options.Completion: limits and window must not be negative")
	}
	if l.MaxRecords == 0 {
		l.MaxRecords = 1 << 16
	}
	if l.MaxRecordsPerCaller == 0 {
		l.MaxRecordsPerCaller = min(1<<13, l.MaxRecords)
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = 64 << 20
	}
	if l.Window == 0 {
		l.Window = lease
	}
	return nil
}

// recordOverhead is what one record costs besides its reply's bytes
// (the record, its map entry, its channel), counted against MaxBytes.
const recordOverhead = 160

type completions struct {
	lim CompletionLimits
	now func() time.Time

	mu      sync.Mutex
	callers map[uuid.UUID]*callerRecords
	count   int
	bytes   int

	answered atomic.Uint64 // repeats answered from a record (or joined)
}

type callerRecords struct {
	recs  map[uint64]*record
	acked uint64    // the caller has the outcome of every call below it
	gone  uint64    // the highest number whose record went unacknowledged
	last  time.Time // of the caller's last protected call or completion
}

type record struct {
	done  chan struct{} // closed once reply is set
	reply []byte        // the whole reply frame, with the first call's id
	at    time.Time     // completion
	kept  bool          // counted in the table's bytes
}

func newCompletions(lim CompletionLimits) *completions {
	return &completions{lim: lim, now: time.Now, callers: make(map[uuid.UUID]*callerRecords)}
}

// serve runs the call h from caller at most once, by way of run.
func (t *completions) serve(ctx context.Context, caller uuid.UUID, h *wire.CallHeader, run func() *wire.Buffer) *wire.Buffer {
	now := t.now()
	t.mu.Lock()
	cr := t.callers[caller]
	if cr == nil {
		// A caller is remembered for two windows after its last call,
		// records or none: bounded like the records, so that a peer
		// that comes back under fresh ids cannot grow the table. A call
		// that would be refused below leaves nothing behind.
		if h.Seq < h.Acked {
			t.mu.Unlock()
			return wire.ErrorReply(h.ID, objerr.CodeRecordGone, &wire.ErrorBody{Message: fmt.Sprintf(
				"call %d is a repeat of a call whose outcome the caller already acknowledged; it was not run again", h.Seq)})
		}
		if len(t.callers) >= t.lim.MaxRecords {
			n := len(t.callers)
			t.mu.Unlock()
			return wire.ErrorReply(h.ID, objerr.CodeOverloaded, &wire.ErrorBody{
				Message: fmt.Sprintf("no room for the completion records of another caller (%d callers remembered; Options.Completion.MaxRecords): it was not run; retry later",
					n),
				RetryAfter: int64(t.lim.Window / 100)})
		}
		cr = &callerRecords{recs: make(map[uint64]*record)}
		t.callers[caller] = cr
	}
	cr.last = now
	if h.Acked > cr.acked {
		cr.acked = h.Acked
		t.dropAcked(cr)
	}
	if h.Seq < cr.acked {
		t.mu.Unlock()
		return wire.ErrorReply(h.ID, objerr.CodeRecordGone, &wire.ErrorBody{Message: fmt.Sprintf(
			"call %d is a repeat of a call whose outcome the caller already acknowledged; it was not run again", h.Seq)})
	}
	if rec := cr.recs[h.Seq]; rec != nil {
		t.mu.Unlock()
		select {
		case <-rec.done:
		case <-ctx.Done():
			// The repeat gave up; the first run goes on, and keeps its record.
			return wire.ErrorReply(h.ID, contextCode(ctx), &wire.ErrorBody{Message: fmt.Sprintf(
				"the repeat of call %d ended while waiting for its first run: %v", h.Seq, context.Cause(ctx))})
		}
		t.answered.Add(1)
		b := wire.GetBuffer(wire.KindReturn)
		b.B = append(b.B[:0], rec.reply...)
		b.SetID(h.ID)
		return b
	}
	if h.Seq <= cr.gone {
		t.mu.Unlock()
		return wire.ErrorReply(h.ID, objerr.CodeRecordGone, &wire.ErrorBody{Message: fmt.Sprintf(
			"no completion record of call %d: it expired (Options.Completion.Window %s) or its caller's lease lapsed; it was not run again, and may have run once",
			h.Seq, t.lim.Window)})
	}
	if t.count >= t.lim.MaxRecords || len(cr.recs) >= t.lim.MaxRecordsPerCaller ||
		t.bytes+recordOverhead > t.lim.MaxBytes {
		t.mu.Unlock()
		return wire.ErrorReply(h.ID, objerr.CodeOverloaded, &wire.ErrorBody{
			Message: fmt.Sprintf("no room for the completion record of an exactly-once call (%d records, %d bytes kept; Options.Completion): it was not run; retry later",
				t.count, t.bytes),
			RetryAfter: int64(t.lim.Window / 100)})
	}
	rec := &record{done: make(chan struct{})}
	cr.recs[h.Seq] = rec
	t.count++
	t.bytes += recordOverhead
	t.mu.Unlock()

	reply := run()
	if reply == nil { // no reply to keep (the transport ignores one-way calls' replies anyway)
		reply = wire.ErrorReply(h.ID, objerr.CodeUnsupported, &wire.ErrorBody{Message: "no reply"})
	}
	t.mu.Lock()
	rec.reply = append([]byte(nil), reply.Bytes()...)
	rec.at = t.now()
	cr.last = rec.at
	if cr.recs[h.Seq] == rec { // not acknowledged or dropped meanwhile
		if t.bytes+len(rec.reply) <= t.lim.MaxBytes {
			rec.kept = true
			t.bytes += len(rec.reply)
		} else {
			t.forget(cr, h.Seq, rec)
		}
	}
	t.mu.Unlock()
	close(rec.done)
	return reply
}

// dropAcked drops the caller's acknowledged records. t.mu is held.
func (t *completions) dropAcked(cr *callerRecords) {
	for seq, rec := range cr.recs {
		if seq < cr.acked {
			t.remove(cr, seq, rec)
		}
	}
}

// remove drops one record. t.mu is held.
func (t *completions) remove(cr *callerRecords, seq uint64, rec *record) {
	delete(cr.recs, seq)
	t.count--
	t.bytes -= recordOverhead
	if rec.kept {
		t.bytes -= len(rec.reply)
	}
}

// forget drops a record its caller did not acknowledge: a repeat of it
// is refused from now on. t.mu is held.
func (t *completions) forget(cr *callerRecords, seq uint64, rec *record) {
	t.remove(cr, seq, rec)
	cr.gone = max(cr.gone, seq)
}

// expire drops the records completed more than Window ago, and callers
// with nothing left to remember. Called at each lease check.
func (t *completions) expire(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, cr := range t.callers {
		for seq, rec := range cr.recs {
			if !rec.at.IsZero() && now.Sub(rec.at) > t.lim.Window {
				t.forget(cr, seq, rec)
			}
		}
		// A caller's floor outlives its records by a window, so that a
		// repeat that comes late is still refused rather than run.
		if len(cr.recs) == 0 && now.Sub(cr.last) > 2*t.lim.Window {
			delete(t.callers, id)
		}
	}
}

// lapsed drops the finished records of a caller whose lease lapsed: it is
// gone, and will not retry.
func (t *completions) lapsed(caller uuid.UUID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cr := t.callers[caller]
	if cr == nil {
		return
	}
	for seq, rec := range cr.recs {
		if !rec.at.IsZero() {
			t.forget(cr, seq, rec)
		}
	}
}

// knows reports whether the table keeps anything for caller: records, or
// the floor that refuses late repeats. While it does, the caller's id
// must stay bound to the identity that made the calls (sweepClaims).
func (t *completions) knows(caller uuid.UUID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.callers[caller] != nil
}

// stats reports the records kept, their bytes, and the repeats answered.
func (t *completions) stats() (records, bytes int, answered uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.count, t.bytes, t.answered.Load()
}

// contextCode is the wire code for a context that ended.
func contextCode(ctx context.Context) objerr.Code {
	if ctx.Err() == context.DeadlineExceeded {
		return objerr.CodeDeadlineExceeded
	}
	return objerr.CodeCanceled
}
