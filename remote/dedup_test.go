package remote_test

import (
	"bufio"
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// seqCall sends a Withdraw of n with the call identity seq (and acked)
// on a raw connection, and returns the reply's code and message.
func seqCall(t *testing.T, nc net.Conn, br *bufio.Reader, id, seq, acked uint64, n int64) (objerr.Code, string) {
	t.Helper()
	_, err := nc.Write(seqFrame(t, id, seq, acked, n))
	require.NoError(t, err)
	return readReply(t, nc, br, id)
}

func seqFrame(t *testing.T, id, seq, acked uint64, n int64) []byte {
	t.Helper()
	m := ifaceOf[testsvc.Account](t).Methods[3] // Withdraw
	require.Equal(t, "Withdraw", m.Name)
	b := wire.GetBuffer(wire.KindCall)
	defer b.Release()
	e := wire.NewEncoder(b)
	defer e.Release()
	require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{ID: id, Object: accountID, Method: m.Hash,
		Flags: wire.FlagSeq, Seq: seq, Acked: acked}))
	require.NoError(t, codec.EncodeList(e, m.In, []any{n}, nil))
	return bytes.Clone(b.Bytes())
}

func accountServer(t *testing.T, acct *testsvc.AccountImpl, opts remote.Options) *remote.Runtime {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	srv := newRuntime(t, opts)
	_, err := remote.Export[testsvc.Account](srv, acct, remote.WithID(accountID))
	require.NoError(t, err)
	return srv
}

func TestARepeatIsAnsweredFromItsRecord(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	srv := accountServer(t, acct, remote.Options{})
	caller := uuid.New()
	nc, br := rawHandshakeAs(t, srv.Endpoint(), caller)
	code, _ := seqCall(t, nc, br, 1, 5, 1, 10)
	require.Zero(t, code)
	// The same call again, as a retry on a new connection would send it.
	nc2, br2 := rawHandshakeAs(t, srv.Endpoint(), caller)
	code, _ = seqCall(t, nc2, br2, 1, 5, 1, 10)
	require.Zero(t, code)
	assert.EqualValues(t, 1, acct.Runs(), "answered from the record, not run again")
	assert.EqualValues(t, 1, srv.Inspect().RepeatsAnswered)
}

func TestARepeatJoinsAFirstRunStillGoing(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	acct.Delay = 300 * time.Millisecond
	srv := accountServer(t, acct, remote.Options{})
	id := uuid.New()
	var wg sync.WaitGroup
	codes := make([]objerr.Code, 2)
	for i := range 2 {
		nc, br := rawHandshakeAs(t, srv.Endpoint(), id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc.Write(seqFrame(t, 9, 7, 1, 10))
			c, _, err := tryReadReply(nc, br, 9)
			assert.NoError(t, err)
			codes[i] = c
		}()
	}
	wg.Wait()
	assert.Equal(t, []objerr.Code{0, 0}, codes)
	assert.EqualValues(t, 1, acct.Runs(), "the repeat waited for the first run")
}

func TestAcknowledgedRecordsGoAndTheirRepeatsAreRefused(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	srv := accountServer(t, acct, remote.Options{})
	nc, br := rawHandshake(t, srv.Endpoint())
	for seq := uint64(1); seq <= 3; seq++ {
		code, _ := seqCall(t, nc, br, seq, seq, 1, 1)
		require.Zero(t, code)
	}
	require.Equal(t, 3, srv.Inspect().CompletionRecords)
	code, _ := seqCall(t, nc, br, 4, 4, 4, 1) // has the outcomes of 1 to 3
	require.Zero(t, code)
	assert.Equal(t, 1, srv.Inspect().CompletionRecords, "acknowledged records are dropped")
	code, msg := seqCall(t, nc, br, 5, 2, 4, 1)
	assert.Equal(t, objerr.CodeRecordGone, code, msg)
	assert.EqualValues(t, 4, acct.Runs())
}

func TestAnExpiredRecordsRepeatIsRefusedNotRun(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	srv := accountServer(t, acct, remote.Options{LeaseCheckInterval: 5 * time.Millisecond,
		Completion: remote.CompletionLimits{Window: 20 * time.Millisecond}})
	nc, br := rawHandshake(t, srv.Endpoint())
	code, _ := seqCall(t, nc, br, 1, 1, 1, 10)
	require.Zero(t, code)
	require.Eventually(t, func() bool { return srv.Inspect().CompletionRecords == 0 }, 5*time.Second, 5*time.Millisecond)
	code, msg := seqCall(t, nc, br, 2, 1, 1, 10)
	assert.Equal(t, objerr.CodeRecordGone, code)
	assert.Contains(t, msg, "expired")
	assert.EqualValues(t, 1, acct.Runs())
}

func TestCompletionRecordsStayBoundedForACallerThatNeverAcknowledges(t *testing.T) {
	acct := testsvc.NewAccount("a", 1<<40)
	srv := accountServer(t, acct, remote.Options{
		Completion: remote.CompletionLimits{MaxRecords: 60, MaxRecordsPerCaller: 40}})
	greedy, gbr := rawHandshake(t, srv.Endpoint())
	refused := 0
	for seq := uint64(1); seq <= 200; seq++ {
		code, _ := seqCall(t, greedy, gbr, seq, seq, 1, 1) // never acknowledges
		switch code {
		case 0:
		case objerr.CodeOverloaded:
			refused++
		default:
			t.Fatalf("call %d: code %v", seq, code)
		}
	}
	assert.Equal(t, 160, refused, "refused, not run, once its 40 records are kept")
	assert.EqualValues(t, 40, acct.Runs())
	assert.Equal(t, 40, srv.Inspect().CompletionRecords)

	// Another caller still has room, up to the total.
	other, obr := rawHandshake(t, srv.Endpoint())
	for seq := uint64(1); seq <= 30; seq++ {
		code, _ := seqCall(t, other, obr, seq, seq, 1, 1)
		if seq <= 20 {
			require.Zero(t, code, "call %d", seq)
		} else {
			require.Equal(t, objerr.CodeOverloaded, code, "call %d", seq)
		}
	}
	assert.Equal(t, 60, srv.Inspect().CompletionRecords)
}

func TestCompletionRecordBytesAreBounded(t *testing.T) {
	acct := testsvc.NewAccount("a", 1<<40)
	srv := accountServer(t, acct, remote.Options{Completion: remote.CompletionLimits{MaxBytes: 4096}})
	nc, br := rawHandshake(t, srv.Endpoint())
	for seq := uint64(1); seq <= 100; seq++ {
		seqCall(t, nc, br, seq, seq, 1, 1)
	}
	s := srv.Inspect()
	assert.LessOrEqual(t, s.CompletionBytes, 4096)
	assert.Positive(t, s.CompletionRecords)
}

func TestARetryAfterTheServerRestartedSaysTheRecordIsGone(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	first, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { first.Close() })
	_, err = remote.Export[testsvc.Account](first, acct, remote.WithID(accountID))
	require.NoError(t, err)
	addr := first.Endpoint()
	cli := newRuntime(t, remote.Options{
		Retry: remote.RetryPolicy{MaxAttempts: 5, InitialBackoff: 50 * time.Millisecond, ExactlyOnce: true}})
	a, err := remote.Dial[testsvc.Account](ctxT(t), cli, addr, accountID)
	require.NoError(t, err)

	ran, restarted := make(chan struct{}), make(chan struct{})
	acct.Hook = func(int64) { close(ran); <-restarted }
	go func() {
		<-ran
		first.Close() // the reply is lost with the runtime
		second, err := remote.NewRuntime(remote.Options{Listen: addr})
		if assert.NoError(t, err) {
			t.Cleanup(func() { second.Close() })
			_, err = remote.Export[testsvc.Account](second, testsvc.NewAccount("b", 100), remote.WithID(accountID))
			assert.NoError(t, err)
		}
		close(restarted)
	}()
	_, err = a.Withdraw(ctxT(t), 30)
	require.ErrorIs(t, err, objerr.ErrRecordGone)
	require.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
	assert.Contains(t, err.Error(), "restarted")
	t.Log(err)
}
