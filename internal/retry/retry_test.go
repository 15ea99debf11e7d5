package retry

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/objerr"
)

func TestBackoffGrowsIsCappedAndJittered(t *testing.T) {
	p := &Policy{Attempts: 5, Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2, Jitter: 0.2}
	for n, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		for range 50 {
			d := p.Backoff(n + 1)
			assert.GreaterOrEqual(t, d, want*8/10, "retry %d", n+1)
			assert.LessOrEqual(t, d, want*12/10, "retry %d", n+1)
		}
	}
}

func TestBudgetAllowsRatioPlusRate(t *testing.T) {
	now := time.Unix(0, 0)
	b := NewBudget(0.1, 2)
	b.now = func() time.Time { return now }
	b.last = now
	drain := func() (n int) {
		for b.Withdraw() {
			n++
		}
		return n
	}
	assert.Equal(t, 12, drain(), "saved up: 2 + 100×0.1")
	for range 50 {
		b.Deposit()
	}
	assert.Equal(t, 5, drain(), "50 calls earn 5 retries")
	now = now.Add(3 * time.Second)
	assert.Equal(t, 6, drain(), "3 s earn 6 retries")
}

func TestBreakerStates(t *testing.T) {
	now := time.Unix(0, 0)
	b := NewBreaker("x:1", BreakerConfig{Failures: 2, OpenFor: time.Second, MaxOpenFor: 4 * time.Second}).(*breaker)
	b.now = func() time.Time { return now }
	fail := func() {
		done, err := b.Allow()
		require.NoError(t, err)
		done(false)
	}
	fail()
	fail()
	_, err := b.Allow()
	require.ErrorIs(t, err, objerr.ErrCircuitOpen)
	now = now.Add(1300 * time.Millisecond) // past the jittered second
	probe, err := b.Allow()
	require.NoError(t, err, "the probe goes")
	_, err = b.Allow()
	require.ErrorIs(t, err, objerr.ErrCircuitOpen, "one probe at a time")
	probe(false)
	now = now.Add(1300 * time.Millisecond)
	_, err = b.Allow()
	require.ErrorIs(t, err, objerr.ErrCircuitOpen, "open twice as long after a failed probe")
	now = now.Add(2 * time.Second)
	probe, err = b.Allow()
	require.NoError(t, err)
	probe(true)
	done, err := b.Allow()
	require.NoError(t, err, "closed")
	done(true)
}

func TestSeqsAcknowledgeTheLowestInFlight(t *testing.T) {
	s := NewSeqs()
	a, b, c := s.Begin(), s.Begin(), s.Begin()
	assert.EqualValues(t, 1, s.Acked())
	s.End(b)
	assert.EqualValues(t, a, s.Acked())
	s.End(a)
	assert.EqualValues(t, c, s.Acked())
	s.End(c)
	assert.EqualValues(t, 4, s.Acked())
}
