package refs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/objerr"
)

// owner is everything this runtime holds from one owner runtime, and the
// task that talks to that owner's DGC (run by the table's workers, one
// round at a time). The fields below link.Owner are guarded by table.mu; a
// round only touches them under it.
type owner struct {
	link.Owner
	slot
	t       *table
	entries map[uint64]*entry
	by      uuid.UUID     // the peer that introduced it, counted in byPeer
	gone    bool          // removed from the table: its round must not reschedule it
	lease   time.Duration // last granted; 0 until the first grant
	epoch   uint64        // of the last grant, sent back with each dirty
	since   time.Time     // when this runtime first held anything of the owner
	until   time.Time     // when the owner drops us unless a dirty reaches it
	renewAt time.Time
	owed    bool      // something held that the owner has not said is gone
	retryAt time.Time // a failed message waits until then
	backoff time.Duration
	cleans  []pendingClean
}

type pendingClean struct {
	c        gc.Clean
	attempts int
}

// round is the work one pass of the loop found to do.
type round struct {
	to     link.Owner // as of planning: Hold may learn the endpoint meanwhile
	dirty  []uint64
	pins   []uint64 // parallel to dirty
	keys   []uint64 // parallel to dirty
	renew  bool
	cleans []pendingClean
	wakeAt time.Time
	done   bool
	// timeout bounds the round's dirty: no later than just past the
	// lapse, so a silent owner is found out on time.
	timeout time.Duration
}

// waits reports whether the owner's messages wait on a worker: unless
// its lease on this runtime is current (see sched.go). t.mu is held.
func (o *owner) waits() bool {
	return o.lease == 0 || !time.Now().Before(o.until)
}

// run is one round: back off after a failure, else plan, exchange and
// schedule the next round. Unless onWorker, the exchange runs on a
// goroutine of its own, and run returns at once.
func (o *owner) run(onWorker bool) (handedOff bool) {
	t := o.t
	t.mu.Lock()
	if o.gone {
		t.mu.Unlock()
		return false
	}
	if time.Now().Before(o.retryAt) {
		t.wakeAt(o, o.retryAt) // a failed message backs off; new work waits with it
		t.mu.Unlock()
		return false
	}
	t.mu.Unlock()
	r := o.plan(time.Now())
	if r.done {
		return false
	}
	if onWorker {
		o.exchange(r)
		t.mu.Lock()
		o.scheduleNext(r)
		t.mu.Unlock()
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.exchanges++
	t.wg.Add(1) // under t.mu, before Close can wait
	go func() {
		defer t.wg.Done()
		o.exchange(r)
		t.mu.Lock()
		defer t.mu.Unlock()
		t.exchanges--
		o.scheduleNext(r)
		t.ran(o)
	}()
	return true
}

// scheduleNext sets the owner's next wake-up after round r. t.mu is held.
func (o *owner) scheduleNext(r round) {
	if !o.gone {
		o.t.wakeAt(o, o.nextAt(r.wakeAt))
	}
}

// plan collects what to send under the lock: dirties for new references,
// cleans for released ones, and whether the lease is due. It ends the
// goroutine, and removes the owner, when nothing is held or owed.
func (o *owner) plan(now time.Time) round {
	t := o.t
	t.mu.Lock()
	defer t.mu.Unlock()
	r := round{to: o.Owner}
	var weak, weakPins, strong []uint64
	owed := false // anything the owner has not said is gone
	for obj, e := range o.entries {
		if !e.live(now) {
			if e.lose != nil {
				e.lose(fmt.Errorf("%w: %s", objerr.ErrReleased, e.ref))
			}
			e.settle()
			t.answered(e) // its senders need not keep it for this runtime
			t.count(e.by, -1, 0)
			switch {
			case e.state == held, e.state == fresh && e.pin != 0:
				// A reference let go before its dirty was sent still
				// releases the owner's pin, rather than leave it to expire.
				weak = append(weak, obj)
				weakPins = append(weakPins, e.pin)
			case e.state == unsure:
				strong = append(strong, obj)
			}
			delete(o.entries, obj)
			continue
		}
		if end := e.pinEnd(); e.stubs == 0 && (r.wakeAt.IsZero() || end.Before(r.wakeAt)) {
			r.wakeAt = end
		}
		if e.state == fresh || e.state == unsure {
			r.dirty = append(r.dirty, obj)
			r.pins = append(r.pins, e.pin)
			r.keys = append(r.keys, e.ref.Key)
		}
		owed = owed || e.state != missing
	}
	// A clean's number is fixed now, not when it is (re)sent: a dirty for
	// the same object made later must outrank it even if it overtakes it.
	if len(weak) > 0 {
		o.cleans = append(o.cleans, pendingClean{c: gc.Clean{Seq: t.seq.Add(1), Objects: weak, Pins: weakPins}})
	}
	if len(strong) > 0 {
		o.cleans = append(o.cleans, pendingClean{c: gc.Clean{Seq: t.seq.Add(1), Objects: strong, Strong: true}})
	}
	r.cleans, o.cleans = o.cleans, nil
	o.owed = owed
	r.renew = o.lease > 0 && owed && !now.Before(o.renewAt)
	r.timeout = t.cfg.CallTimeout
	if left := o.lapseAt().Sub(now); left > 0 && left < r.timeout {
		// Past the lapse a late answer is no use: give up then, to know.
		r.timeout = left + 50*time.Millisecond
	}
	if len(o.entries) == 0 && len(r.cleans) == 0 {
		delete(t.owners, o.Runtime)
		o.gone = true
		t.unschedule(o)
		t.count(o.by, 0, -1)
		r.done = true
	}
	return r
}

// nextWake is the time until the earliest of a pin's end, the renewal and
// a retry; an hour if only a kick can bring work.
func (o *owner) nextWake(pin time.Time) time.Duration {
	o.t.mu.Lock()
	defer o.t.mu.Unlock()
	at := o.nextAt(pin)
	if at.IsZero() {
		return time.Hour
	}
	return max(time.Until(at), time.Millisecond)
}

// nextAt is when the next round is due: the earliest of a pin's end, the
// renewal and a retry, or zero if only a kick can bring work. t.mu is
// held.
func (o *owner) nextAt(pin time.Time) time.Time {
	next := pin
	consider := func(at time.Time) {
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	if o.lease > 0 && o.owed {
		consider(o.renewAt)
	}
	consider(o.retryAt)
	return next
}

// exchange sends the round's messages, one at a time, and records the
// answers.
func (o *owner) exchange(r round) {
	t := o.t
	failed := false
	if len(r.dirty) > 0 || r.renew {
		failed = !o.dirty(r.to, r.dirty, r.pins, r.keys, r.timeout)
	}
	for i, pc := range r.cleans {
		ctx, cancel := context.WithTimeout(t.ctx, t.cfg.CallTimeout)
		err := t.send.Clean(ctx, r.to, pc.c)
		cancel()
		if err == nil {
			continue
		}
		failed = true
		pc.attempts++
		t.mu.Lock()
		if pc.attempts < t.cfg.MaxCleans {
			o.cleans = append(o.cleans, pc)
		} else {
			t.cfg.Logger.Info("objrmi: giving up a clean; the owner's lease will lapse instead",
				"owner", o.Runtime, "objects", len(pc.c.Objects), "err", err)
		}
		o.cleans = append(o.cleans, r.cleans[i+1:]...)
		t.mu.Unlock()
		break
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if failed {
		o.backoff = min(max(2*o.backoff, t.cfg.MinBackoff), t.cfg.MaxBackoff)
		now := time.Now()
		o.retryAt = now.Add(o.backoff)
		if lapse := o.lapseAt(); now.Before(lapse) && lapse.Before(o.retryAt) {
			o.retryAt = lapse // one last try when the lease runs out, to know
		}
	} else {
		o.backoff, o.retryAt = 0, time.Time{}
	}
}

// lapseAt is when the owner has surely dropped this runtime's lease: the
// last one granted ran out, or, if none was ever granted, this runtime's
// own lease length has passed since it first held anything of the owner.
func (o *owner) lapseAt() time.Time {
	if o.lease > 0 {
		return o.until
	}
	return o.since.Add(o.t.cfg.Lease)
}

// lapsed marks everything held of the owner lost, for want of a renewal.
// The references are still claimed again if the owner answers later.
func (o *owner) lapsed(last error) {
	since := o.since
	if o.lease > 0 {
		since = o.until.Add(-o.lease)
	}
	// The code stays CodeConnection (the owner could not be reached); the
	// reason leads with what that cost: the lease.
	who, todo := fmt.Sprintf("runtime %s at %s", o.Runtime, o.Endpoint), "up and reachable"
	if o.Endpoint == "" {
		who, todo = fmt.Sprintf("runtime %s, which listens on no port,", o.Runtime), "up and connected to this runtime"
	}
	err := &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeConnection,
		Reason: fmt.Sprintf("lease lapsed: %s answered no renewal since %s: check that it is %s; its objects are claimed again when it answers",
			who, since.Format("2006-01-02T15:04:05.000Z07:00"), todo),
		Err: lapse{last}}
	for _, e := range o.entries {
		e.markLost(err)
		e.lapsed = e.lostErr == err
	}
}

// dirty sends one dirty (a renewal if objs is empty) and reports whether
// it was answered.
func (o *owner) dirty(to link.Owner, objs, pins, keys []uint64, timeout time.Duration) bool {
	t := o.t
	t.mu.Lock()
	epoch := o.epoch
	t.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	g, err := t.send.Dirty(ctx, to, gc.Dirty{Seq: t.seq.Add(1), Epoch: epoch, Objects: objs, Pins: pins, Keys: keys})
	cancel()
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		if errors.Is(err, objerr.ErrNoSuchObject) {
			// The owner restarted: nothing this runtime held of it is left.
			for _, e := range o.entries {
				e.state, e.reason = missing, goneReason(err)
				e.markLost(err)
				t.answered(e)
			}
			return false
		}
		if !notSent(err) {
			for _, obj := range objs {
				if e := o.entries[obj]; e != nil {
					e.state = unsure
				}
			}
		}
		t.cfg.Logger.Debug("objrmi: dirty failed; will retry", "owner", o.Runtime, "objects", len(objs), "err", err)
		if !now.Before(o.lapseAt()) {
			o.lapsed(err)
		}
		return false
	}
	for _, e := range o.entries {
		e.recovered()
	}
	if !g.Known {
		// The owner had no lease for us (it lapsed, this is the first
		// dirty, or we missed the grant that began its record of us):
		// everything held must be claimed again.
		for _, e := range o.entries {
			if e.state == held {
				e.state = fresh
				t.wake(o)
			}
		}
	}
	o.epoch = g.Epoch
	claimed := make(map[uint64]uint64, len(objs)) // object -> the key it was claimed with
	for i, obj := range objs {
		claimed[obj] = keys[i]
	}
	for _, obj := range objs {
		if e := o.entries[obj]; e != nil {
			e.state = held
			e.settle()
		}
	}
	for _, m := range g.Missing {
		if e := o.entries[m.Object]; e != nil {
			if key, ok := claimed[m.Object]; ok && t.refused(o, e, key) {
				continue // another copy's key is claimed next
			}
			e.state, e.reason = missing, m.Reason
			e.markLost(&objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject,
				Reason: goneFromOwner(e.ref.String(), m.Reason)})
		}
	}
	for _, obj := range objs {
		if e := o.entries[obj]; e != nil && e.state != fresh {
			t.answered(e)
		}
	}
	// The owner's lease started when the dirty arrived, before now.
	o.until = now.Add(g.Lease)
	o.lease = g.Lease
	// The lease is the owner's word: held to a floor, so that an owner
	// granting a nanosecond cannot make this runtime renew in a loop as
	// fast as it answers.
	every := g.Lease / 2
	if m := o.t.cfg.MaxRenewal; m > 0 && m < every {
		// Renewals keep this runtime's connection to the owner in use,
		// so it never idles shut between them: a holder with no
		// listener that closed it would look gone to the owner.
		every = m
	}
	o.renewAt = now.Add(max(jitter(every), minRenewal))
	return true
}

// renewalJitter is the share of a renewal interval by which a renewal
// comes early or late, at random: holders that dirtied together (all of
// a server's clients after it restarts, or after a network heals) drift
// apart round by round instead of reaching the owner all at once, every
// half lease. Symmetric, so renewals are as frequent on average as
// without it; a tenth, so the latest still leaves 45% of the lease for
// the renewal to arrive.
const renewalJitter = 10

// jitter returns every, moved by up to every/renewalJitter either way.
func jitter(every time.Duration) time.Duration {
	if j := every / renewalJitter; j > 0 {
		every += rand.N(2*j+1) - j
	}
	return every
}

// goneFromOwner is the error's reason for a reference whose owner says
// the object is gone; the owner's why already reads "object N is gone:
// ...", so it is not said twice.
func goneFromOwner(ref, why string) string {
	if why == "" {
		why = "its owner says it is gone"
	}
	return ref + ": " + why // the owner's why ends it: ExampleRuntime_Watch matches its end
}

// goneReason is why an owner's "no such object" says the object is gone
// ("owner runtime restarted: ..."), for Snapshot.
func goneReason(err error) string {
	var oe *objerr.Error
	if errors.As(err, &oe) && oe.Reason != "" {
		return oe.Reason
	}
	return err.Error()
}

// lapse is the cause of a lapse: it matches objerr.ErrLeaseLapsed and
// the last renewal's error, and reads as the latter alone, since the
// reason already says the lease lapsed.
type lapse struct{ last error }

func (l lapse) Error() string   { return l.last.Error() }
func (l lapse) Unwrap() []error { return []error{objerr.ErrLeaseLapsed, l.last} }

// minRenewal is the shortest time between two renewals to one owner.
const minRenewal = 10 * time.Millisecond
