package retry

import (
	"sync"
	"time"
)

// Budget bounds the retries of many calls together, so that retries add
// at most a fixed fraction of load to a server that fails every call
// (Finagle's retry budget; gRPC A6's token bucket). Every first attempt
// deposits Ratio of a token, time deposits MinPerSecond tokens a second,
// and every retry withdraws one; at most MinPerSecond + 100×Ratio tokens
// are saved up. Over any stretch of time t with n calls, the retries are
// at most (MinPerSecond + 100×Ratio) + Ratio×n + MinPerSecond×t.
type Budget struct {
	ratio, perSecond, max float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
	now    func() time.Time // tests stop the clock
}

// NewBudget returns a full budget.
func NewBudget(ratio, perSecond float64) *Budget {
	b := &Budget{ratio: ratio, perSecond: perSecond, max: perSecond + 100*ratio, now: time.Now}
	b.tokens, b.last = b.max, b.now()
	return b
}

// refill adds the time's deposit. b.mu is held.
func (b *Budget) refill() {
	now := b.now()
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(b.max, b.tokens+b.perSecond*el.Seconds())
		b.last = now
	}
}

// Deposit is a first attempt's share.
func (b *Budget) Deposit() {
	if b.ratio == 0 {
		return
	}
	b.mu.Lock()
	b.tokens = min(b.max, b.tokens+b.ratio)
	b.mu.Unlock()
}

// Withdraw takes a token for one retry, and reports whether there was one.
func (b *Budget) Withdraw() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if b.tokens < 1-1e-9 { // sums of ratios are not exact
		return false
	}
	b.tokens--
	return true
}
