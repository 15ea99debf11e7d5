package retry

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/objrmi/objrmi/objerr"
)

// Breaker guards one endpoint. Allow asks to send a call: it returns
// done, to call with whether the call went well, or an error that fails
// the call, not sent. It is the shape of sony/gobreaker's
// TwoStepCircuitBreaker, so that one can be plugged in.
type Breaker interface {
	Allow() (done func(success bool), err error)
}

// BreakerConfig tunes the in-house breaker (Finagle's failure accrual):
// it opens after Failures consecutive failures, for OpenFor at first,
// doubling (with ±20 % jitter) at each failed probe up to MaxOpenFor.
// Once that time has passed, one call goes through as a probe: its
// success closes the circuit, its failure opens it again.
type BreakerConfig struct {
	Failures            int
	OpenFor, MaxOpenFor time.Duration
}

type breakerState uint8

const (
	closed breakerState = iota
	open
	halfOpen // one probe is out
)

// breaker is the in-house Breaker.
type breaker struct {
	cfg      BreakerConfig
	endpoint string
	now      func() time.Time

	mu        sync.Mutex
	state     breakerState
	fails     int
	until     time.Time     // while open
	openFor   time.Duration // the current open time
	probeDone func(bool)    // reused: no allocation per call when closed
	callDone  func(bool)
}

// NewBreaker returns the in-house breaker for endpoint.
func NewBreaker(endpoint string, cfg BreakerConfig) Breaker {
	b := &breaker{cfg: cfg, endpoint: endpoint, now: time.Now, openFor: cfg.OpenFor}
	b.callDone = func(ok bool) { b.done(ok, false) }
	b.probeDone = func(ok bool) { b.done(ok, true) }
	return b
}

func (b *breaker) Allow() (func(bool), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case closed:
		return b.callDone, nil
	case open:
		now := b.now()
		if now.Before(b.until) {
			return nil, b.openError(b.until.Sub(now))
		}
		b.state = halfOpen
		return b.probeDone, nil
	}
	// A probe is out: others wait for its verdict, failing fast.
	return nil, b.openError(0)
}

func (b *breaker) openError(wait time.Duration) error {
	why := "a probe call is deciding whether it recovered"
	if wait > 0 {
		why = fmt.Sprintf("a probe call goes in %s", wait.Round(time.Millisecond))
	}
	return &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeCircuitOpen, RetryAfter: wait,
		Reason: fmt.Sprintf("%s failed %d times in a row; calls to it fail fast until it recovers (%s)",
			b.endpoint, b.cfg.Failures, why)}
}

func (b *breaker) done(ok, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		if ok {
			b.state, b.fails, b.openFor = closed, 0, b.cfg.OpenFor
			return
		}
		b.openFor = min(2*b.openFor, b.cfg.MaxOpenFor)
		b.trip()
		return
	}
	if b.state != closed {
		return // a call let through before the circuit opened
	}
	if ok {
		b.fails = 0
		return
	}
	if b.fails++; b.fails >= b.cfg.Failures {
		b.trip()
	}
}

// trip opens the circuit for a jittered openFor. b.mu is held.
func (b *breaker) trip() {
	d := time.Duration(float64(b.openFor) * (0.8 + 0.4*rand.Float64()))
	b.state, b.until = open, b.now().Add(d)
}

// Breakers are a runtime's breakers, one per endpoint, made on first use.
// They are bounded: past max endpoints, closed breakers are forgotten
// (they know nothing an endpoint's next failures would not teach again).
type Breakers struct {
	New func(endpoint string) Breaker
	max int

	mu sync.Mutex
	m  map[string]Breaker
}

// NewBreakers returns the table; newBreaker makes each endpoint's.
func NewBreakers(newBreaker func(endpoint string) Breaker, max int) *Breakers {
	return &Breakers{New: newBreaker, max: max, m: make(map[string]Breaker)}
}

// For returns endpoint's breaker.
func (t *Breakers) For(endpoint string) Breaker {
	t.mu.Lock()
	defer t.mu.Unlock()
	if b, ok := t.m[endpoint]; ok {
		return b
	}
	if len(t.m) >= t.max {
		for ep, b := range t.m {
			if ib, ok := b.(*breaker); !ok || ib.isClosed() {
				delete(t.m, ep)
			}
		}
	}
	b := t.New(endpoint)
	if len(t.m) < t.max {
		t.m[endpoint] = b
	}
	return b
}

func (b *breaker) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state == closed && b.fails == 0
}
