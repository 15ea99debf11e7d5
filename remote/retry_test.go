package remote_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

const accountID = 101

// accountBehindProxy serves acct at accountID, and returns a client's
// stub that reaches it through a proxy that can cut the connections.
func accountBehindProxy(t *testing.T, acct *testsvc.AccountImpl, cliOpts remote.Options) (*remote.Runtime, *proxy, *remote.Runtime, testsvc.Account) {
	t.Helper()
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	_, err := remote.Export[testsvc.Account](srv, acct, remote.WithID(accountID))
	require.NoError(t, err)
	p := newProxy(t, srv.Endpoint())
	cli := newRuntime(t, cliOpts)
	a, err := remote.Dial[testsvc.Account](ctxT(t), cli, p.addr(), accountID)
	require.NoError(t, err)
	return srv, p, cli, a
}

// cutOnce makes acct's next Withdraw cut every connection through p
// after it has taken the money and before its reply leaves.
func cutOnce(acct *testsvc.AccountImpl, p *proxy) {
	var once sync.Once
	acct.Hook = func(int64) { once.Do(p.cut) }
}

func TestExactlyOnceRetryAfterTheReplyIsLost(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	_, p, _, a := accountBehindProxy(t, acct, remote.Options{
		Retry: remote.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, ExactlyOnce: true}})
	cutOnce(acct, p)

	bal, err := a.Withdraw(ctxT(t), 30)
	require.NoError(t, err, "the retry gets the first run's result")
	assert.EqualValues(t, 70, bal)
	assert.EqualValues(t, 1, acct.Runs(), "Withdraw ran once")
	got, err := a.Balance(ctxT(t))
	require.NoError(t, err)
	assert.EqualValues(t, 70, got, "the balance changed exactly once")
}

func TestWithoutAPolicyALostReplyIsOutcomeUnknown(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	_, p, _, a := accountBehindProxy(t, acct, remote.Options{})
	cutOnce(acct, p)

	_, err := a.Withdraw(ctxT(t), 30)
	require.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
	assert.EqualValues(t, 1, acct.Runs())
}

func TestAnUnmarkedCallIsNotRetriedAfterAnUnknownOutcome(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	_, p, _, a := accountBehindProxy(t, acct, remote.Options{
		Retry: remote.RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Millisecond}}) // no ExactlyOnce
	cutOnce(acct, p)

	_, err := a.Withdraw(ctxT(t), 30)
	require.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
	assert.EqualValues(t, 1, acct.Runs(), "an unmarked method runs at most once")
	got, err := a.Balance(ctxT(t))
	require.NoError(t, err)
	assert.EqualValues(t, 70, got)
}

func TestAnIdempotentCallIsRetriedAfterAnUnknownOutcome(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	_, p, _, a := accountBehindProxy(t, acct, remote.Options{})
	var once sync.Once
	acct.Delay = 50 * time.Millisecond
	go func() { // cut while SetLimit runs
		for acct.Calls() == 0 {
			time.Sleep(time.Millisecond)
		}
		once.Do(p.cut)
	}()
	ctx := remote.WithRetry(ctxT(t), remote.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond})
	require.NoError(t, a.SetLimit(ctx, 50), "the per-call policy retries an idempotent method")
	assert.GreaterOrEqual(t, acct.Calls(), int64(2))
}

func TestPerStubPolicyOverridesTheRuntimes(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	_, p, _, a := accountBehindProxy(t, acct, remote.Options{
		Retry: remote.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, ExactlyOnce: true}})
	plain := remote.Retrying(a, remote.RetryPolicy{}) // off for this stub
	cutOnce(acct, p)
	_, err := plain.Withdraw(ctxT(t), 30)
	require.ErrorIs(t, err, objerr.ErrOutcomeUnknown)

	// A call's own policy wins over the stub's. (The hook cuts only once.)
	bal, err := plain.Withdraw(remote.WithRetry(ctxT(t), remote.RetryPolicy{MaxAttempts: 2, ExactlyOnce: true}), 10)
	require.NoError(t, err)
	assert.EqualValues(t, 60, bal)
	remote.Release(plain)
}

// deadEndpoint is an address where nothing listens.
func deadEndpoint(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// countingDial counts the connections a runtime tries to open.
func countingDial(n *atomic.Int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		n.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

func TestADeadlineInsideTheBackoffFailsAtOnce(t *testing.T) {
	cli := newRuntime(t, remote.Options{Retry: remote.RetryPolicy{MaxAttempts: 5, InitialBackoff: 10 * time.Second}})
	calc, err := remote.StubOf[testsvc.Calculator](cli, remote.WellKnown(deadEndpoint(t), calcID, "Calculator"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = calc.Add(ctx, 1, 2)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the deadline error, not the connection's")
	require.ErrorIs(t, err, objerr.ErrNotSent, "nothing was sent")
	assert.Less(t, time.Since(start), time.Second, "it did not wait for the backoff or the deadline")
}

func TestTheServersRetryAfterIsHonoured(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", MaxInflight: 1})
	acct := testsvc.NewAccount("a", 100)
	acct.Delay = 2 * time.Second
	_, err := remote.Export[testsvc.Account](srv, acct, remote.WithID(accountID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	a, err := remote.Dial[testsvc.Account](ctxT(t), cli, srv.Endpoint(), accountID)
	require.NoError(t, err)
	slow, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	go a.Balance(slow) // takes the one slot
	require.Eventually(t, func() bool { return acct.Calls() == 1 }, 5*time.Second, time.Millisecond)

	// Without a policy: the overloaded server's advice is in the error.
	_, err = a.Name(ctxT(t))
	var oe *objerr.Error
	require.ErrorAs(t, err, &oe)
	require.ErrorIs(t, err, objerr.ErrOverloaded)
	assert.Positive(t, oe.RetryAfter, "an overloaded server says when to come back")

	// With one whose own backoff is far shorter, the retry waits for the
	// server's time, which is past the deadline: it fails at once.
	ctx, cancel2 := context.WithTimeout(remote.WithRetry(ctxT(t),
		remote.RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Microsecond, MaxBackoff: time.Microsecond}), oe.RetryAfter/2)
	defer cancel2()
	_, err = a.Name(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, objerr.ErrNotSent)
	assert.Contains(t, err.Error(), "overloaded")
	assert.EqualValues(t, 1, acct.Calls(), "nothing ran but the slow call")
}

func TestTheRetryBudgetBoundsAttempts(t *testing.T) {
	var dials atomic.Int64
	budget := remote.NewRetryBudget(0.2, 0)
	cli := newRuntime(t, remote.Options{Dial: countingDial(&dials),
		Retry: remote.RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Microsecond, MaxBackoff: time.Microsecond, Budget: budget}})
	calc, err := remote.StubOf[testsvc.Calculator](cli, remote.WellKnown(deadEndpoint(t), calcID, "Calculator"))
	require.NoError(t, err)
	const calls = 100
	spent := 0
	for range calls {
		_, err := calc.Add(ctxT(t), 1, 2)
		require.ErrorIs(t, err, objerr.ErrNotSent)
		if errors.Is(err, objerr.ErrConnection) && strings.Contains(err.Error(), "retry budget") {
			spent++
		}
	}
	// Saved up: 100×0.2 = 20 tokens; earned: 0.2 a call.
	maxAttempts := calls + 20 + 0.2*calls
	t.Logf("%d calls, %d attempts (%d without a budget), %d refused a retry", calls, dials.Load(), calls*5, spent)
	assert.LessOrEqual(t, float64(dials.Load()), maxAttempts)
	assert.Greater(t, dials.Load(), int64(calls), "some retries were made")
	assert.Positive(t, spent, "the budget refused some retries, and said so")
}

func TestRetryPolicyValidation(t *testing.T) {
	_, err := remote.NewRuntime(remote.Options{Retry: remote.RetryPolicy{MaxAttempts: 3, Jitter: 2}})
	require.Error(t, err)
	_, err = remote.NewRuntime(remote.Options{Retry: remote.RetryPolicy{MaxAttempts: -1}})
	require.Error(t, err)
}
