package remote_test

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// dialFromAs opens a raw connection from local host src to endpoint and
// says hello as runtime id; it returns the server's refusal, if any.
func dialFromAs(t *testing.T, src, endpoint string, id uuid.UUID) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	nc, err := d.Dial("tcp", endpoint)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	require.NoError(t, wire.WriteHello(nc, &wire.Hello{Runtime: id}))
	br := bufio.NewReader(nc)
	var h wire.Hello
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	require.NoError(t, wire.ReadHello(br, &h))
	nc.SetReadDeadline(time.Time{})
	return nc, br, h.Refusal
}

// Review: a runtime id stays bound to the host (or principal) that
// presented it while this runtime keeps completion records for it. The
// claim used to be swept once the caller had no session, DGC state or
// held reference, while its records stayed for the window: another host
// could then present the caller's id and have its exactly-once calls
// answered from the caller's records (the first run's results, past
// every Authorize rule, which the record answers before).
func TestReview5ACallersRecordsKeepItsIdentity(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	srv := accountServer(t, acct, remote.Options{LeaseCheckInterval: 5 * time.Millisecond,
		Completion: remote.CompletionLimits{Window: time.Minute}})
	victim := uuid.New()
	nc, br, refusal := dialFromAs(t, "127.0.0.1", srv.Endpoint(), victim)
	require.Empty(t, refusal)
	code, msg := seqCall(t, nc, br, 1, 5, 1, 10)
	require.Zero(t, code, msg)
	nc.Close()
	require.Equal(t, 1, srv.Inspect().CompletionRecords)

	// Lease checks (and claim sweeps) run every 5ms: give them many turns.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		anc, abr, refusal := dialFromAs(t, "127.0.0.2", srv.Endpoint(), victim)
		if refusal == "" {
			// The attacker holds the victim's id from another host: its
			// repeat of the victim's call must not be answered.
			code, msg := seqCall(t, anc, abr, 1, 5, 1, 10)
			t.Fatalf("another host took over the id of a caller with completion records; its repeat got code %d (%s)", code, msg)
		}
		assert.Contains(t, refusal, "in use by another peer")
		anc.Close()
		time.Sleep(20 * time.Millisecond)
	}
	assert.EqualValues(t, 1, acct.Runs())

	// The victim itself, from its own host, still gets its record.
	nc2, br2, refusal := dialFromAs(t, "127.0.0.1", srv.Endpoint(), victim)
	require.Empty(t, refusal)
	code, msg = seqCall(t, nc2, br2, 1, 5, 1, 10)
	assert.Equal(t, objerr.Code(0), code, msg)
	assert.EqualValues(t, 1, acct.Runs())
}
