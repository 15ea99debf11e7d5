package remote_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/remote"
)

// Bulk answers small calls with large results.
type Bulk interface {
	// Make returns n bytes.
	Make(ctx context.Context, n int) ([]byte, error)
	// Goroutines reports the server's goroutine count.
	Goroutines(ctx context.Context) (int, error)
}

type bulk struct{}

func (bulk) Make(_ context.Context, n int) ([]byte, error) { return make([]byte, n), nil }
func (bulk) Goroutines(context.Context) (int, error)       { return runtime.NumGoroutine(), nil }

const bulkID = 101

// slowReaderOpts make a peer that stops reading lose its connection in
// seconds.
var slowReaderOpts = remote.Options{
	Listen:            "127.0.0.1:0",
	HeartbeatInterval: 500 * time.Millisecond,
	HeartbeatTimeout:  3 * time.Second,
}

// childBulkServer serves a Bulk with slowReaderOpts, logging to stderr,
// until it is killed.
func childBulkServer() {
	childServe(slowReaderOpts, func(rt *remote.Runtime) error {
		_, err := remote.Export[Bulk](rt, bulk{}, remote.WithID(bulkID))
		return err
	})
}

// Item 2: a peer that sends small calls with large results and never
// reads its socket, while pinging to look alive, is cut off within
// HeartbeatTimeout, with one log line, and everything its replies held
// is freed. Before, the replies bypassed the write deadline and the
// server held 904 goroutines and 922 MiB (900 results of 1 MiB) for as
// long as the socket stayed open. 1,100 calls are sent: more than MaxInflight (1,024), so
// refusals are owed too, and the reader must not stall writing them.
func TestPeerThatStopsReadingIsCutOff(t *testing.T) {
	if testing.Short() {
		t.Skip("a multi-process test that fills a server with replies")
	}
	logs := &testutil.Buffer{}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=bulk-server")
	cmd.Stderr = logs
	endpoint, _ := testutil.Start(t, cmd)
	pid := cmd.Process.Pid

	cli := newRuntime(t, remote.Options{})
	probe := remote.Dynamic(cli, remote.Ref{Endpoint: endpoint, Object: bulkID, Iface: "Bulk"})
	goroutines := func() int {
		out, err := probe.Call(ctxT(t), "Goroutines")
		require.NoError(t, err)
		n, err := strconv.Atoi(fmt.Sprint(out[0])) // the smallest integer type that holds it
		require.NoError(t, err)
		return n
	}
	before, rssBefore := goroutines(), rss(pid, "VmRSS")

	it, err := iface.For[Bulk]()
	require.NoError(t, err)
	// 256 KiB results: 1,100 of them are 275 MiB, a heavy load for a
	// server built with the race detector on two cores.
	makeBig := []byte{0x91, 0xce, 0, 0x04, 0, 0} // [262144]
	nc, _ := rawHandshake(t, endpoint)
	const calls = 1100
	var burst []byte
	for i := range calls {
		b := wire.GetBuffer(wire.KindCall)
		e := wire.NewEncoder(b)
		require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{ID: uint64(i + 1), Object: bulkID, Method: it.ByName("Make").Hash}))
		e.Release()
		b.B = append(b.B, makeBig...)
		burst = append(burst, b.Bytes()...)
		b.Release()
	}
	sent := time.Now()
	_, err = nc.Write(burst)
	require.NoError(t, err)
	ping := binary.BigEndian.AppendUint32(nil, 1)
	ping = append(ping, byte(wire.KindPing))

	const cutLine = "the peer stopped reading"
	var peak, held int
	var cutAfter time.Duration
	for deadline := time.Now().Add(20 * time.Second); ; {
		peak = max(peak, rss(pid, "VmRSS"))
		if strings.Contains(logs.String(), cutLine) {
			cutAfter = time.Since(sent)
			break
		}
		if time.Now().After(deadline) {
			held = goroutines()
			t.Fatalf("after 20 s the server still holds the connection of a peer that reads nothing: %d goroutines (%d before), RSS %d KiB (%d before)",
				held, before, rss(pid, "VmRSS"), rssBefore)
		}
		nc.SetWriteDeadline(time.Now().Add(time.Second))
		nc.Write(ping) // the attacker looks alive; it may fail once cut
		time.Sleep(100 * time.Millisecond)
	}
	// The cut comes HeartbeatTimeout after the replies stop moving, which
	// is after the methods have produced enough of them to fill the
	// socket: the bound is generous for a loaded machine.
	assert.Less(t, cutAfter, 20*time.Second, "cut within HeartbeatTimeout once the replies stop moving")
	time.Sleep(500 * time.Millisecond) // any second line would follow at once
	assert.Equal(t, 1, strings.Count(logs.String(), cutLine), "one log line:\n%s", logs)

	// Everything the connection held is released: its goroutines end.
	var after int
	require.Eventually(t, func() bool {
		after = goroutines()
		return after <= before+2
	}, 10*time.Second, 100*time.Millisecond, "goroutines after the cut: %d, before %d", after, before)
	runtime.GC()
	t.Logf("%d calls of 256 KiB results from a peer that reads nothing: cut %s after the burst (HeartbeatTimeout %s); server peak RSS %d MiB sampled (%d MiB before); goroutines %d before, %d after",
		calls, cutAfter.Round(10*time.Millisecond), slowReaderOpts.HeartbeatTimeout, peak>>10, rssBefore>>10, before, after)
}
