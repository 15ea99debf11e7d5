package remote_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/remote"
)

// hostileServerOpts are the child's options: default limits, with the
// timeouts short enough that slow attacks end within the test, and no
// limit per host below MaxConns: the flood comes from one host, and is
// to reach MaxConns (TestConnsPerHost covers the per-host limit).
var hostileServerOpts = remote.Options{
	Listen:            "127.0.0.1:0",
	MaxConns:          4096, // below the flood's 5,000 sockets, whatever the file limit
	MaxConnsPerHost:   1 << 20,
	HandshakeTimeout:  5 * time.Second,
	HeartbeatInterval: time.Second,
	HeartbeatTimeout:  6 * time.Second,
}

// childHostileServer serves a Calc with hostileServerOpts, logging to
// stderr, until it is killed.
func childHostileServer() {
	childServe(hostileServerOpts, func(rt *remote.Runtime) error {
		_, err := remote.Export[testsvc.Calculator](rt, testsvc.NewCalc(), remote.WithID(calcID))
		return err
	})
}

// rss reads a process's resident set (VmRSS) or its peak (VmHWM), in KiB.
func rss(pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

// legit is a set of well-behaved clients calling in a loop.
type legit struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	firstErr   error
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startLegit(t *testing.T, endpoint string, clients int) *legit {
	l := &legit{stop: make(chan struct{})}
	payload := bytes.Repeat([]byte("x"), 1024)
	for range clients {
		rt := newRuntime(t, remote.Options{})
		calc, err := remote.Dial[testsvc.Calculator](ctxT(t), rt, endpoint, calcID)
		require.NoError(t, err)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				_, err := calc.Add(ctxT(t), 1, 2)
				if err == nil {
					_, err = calc.Echo(ctxT(t), payload)
				}
				if err != nil {
					l.failed.Add(1)
					l.mu.Lock()
					if l.firstErr == nil {
						l.firstErr = err
					}
					l.mu.Unlock()
					continue
				}
				l.ok.Add(1)
				time.Sleep(time.Millisecond)
			}
		}()
	}
	return l
}

func (l *legit) end() { close(l.stop); l.wg.Wait() }

// hungUpWithin reads from nc until the server closes it, and reports how
// long that took; false if it was still open after limit.
func hungUpWithin(nc net.Conn, limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	nc.SetReadDeadline(start.Add(limit))
	buf := make([]byte, 4096)
	for {
		if _, err := nc.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return limit, false
			}
			return time.Since(start), true
		}
	}
}

func callFrame(t *testing.T, method string, args []byte) []byte {
	it, err := iface.For[testsvc.Calculator]()
	require.NoError(t, err)
	b := wire.GetBuffer(wire.KindCall)
	e := wire.NewEncoder(b)
	require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{ID: 1, Object: calcID, Method: it.ByName(method).Hash}))
	e.Release()
	b.B = append(b.B, args...)
	return bytes.Clone(b.Bytes())
}

func random(n int) []byte {
	p := make([]byte, n)
	rand.Read(p)
	return p
}

// Every hostile peer of the issue, one after the other, against a server
// in its own process, while legitimate clients call it throughout: each
// attacker is disconnected, no legitimate call fails, and the server's
// memory stays bounded, 5,000 idle sockets included.
func TestHostilePeersNeverHurtLegitimateClients(t *testing.T) {
	if testing.Short() {
		t.Skip("a multi-process flood")
	}
	logs := &testutil.Buffer{}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=hostile-server")
	cmd.Stderr = logs
	endpoint, _ := testutil.Start(t, cmd)
	pid := cmd.Process.Pid

	var peak atomic.Int64
	sampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			peak.Store(max(peak.Load(), int64(rss(pid, "VmRSS"))))
			select {
			case <-sampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	l := startLegit(t, endpoint, 4)
	time.Sleep(200 * time.Millisecond)
	baseline := rss(pid, "VmRSS")

	type result struct{ attack, outcome string }
	var table []result
	began := time.Now()
	report := func(attack, outcome string) {
		table = append(table, result{attack, outcome})
		t.Logf("%s: %s (at %s)", attack, outcome, time.Since(began).Round(time.Millisecond))
	}
	dial := func() net.Conn {
		nc, err := net.Dial("tcp", endpoint)
		require.NoError(t, err)
		t.Cleanup(func() { nc.Close() })
		return nc
	}
	expectHangUp := func(attack string, nc net.Conn, within time.Duration) {
		took, ok := hungUpWithin(nc, within)
		require.True(t, ok, "%s: the server kept the connection open", attack)
		report(attack, fmt.Sprintf("disconnected after %s", took.Round(time.Millisecond)))
	}

	nc := dial()
	nc.Write(random(64 << 10))
	expectHangUp("random bytes (64 KiB)", nc, 10*time.Second)

	nc, _ = rawHandshake(t, endpoint)
	nc.Write(random(64 << 10))
	expectHangUp("valid handshake, then 64 KiB of random bytes", nc, 10*time.Second)

	nc, _ = rawHandshake(t, endpoint)
	nc.Write([]byte{0xff, 0xff, 0xff, 0xff, byte(wire.KindCall)})
	expectHangUp("length prefix of 4 GiB", nc, 10*time.Second)

	nc, _ = rawHandshake(t, endpoint)
	nc.Write(callFrame(t, "Echo", append([]byte{0x91}, bytes.Repeat([]byte{0x91}, 10_000)...)))
	expectHangUp("10,000-deep nesting (answered ErrLimit: MaxDepth)", nc, 10*time.Second)

	nc, _ = rawHandshake(t, endpoint)
	nc.Write(callFrame(t, "Echo", []byte{0x91, 0xdd, 0xff, 0xff, 0xff, 0xff}))
	expectHangUp("array of 4,294,967,295 elements, no data", nc, 10*time.Second)

	nc = dial()
	expectHangUp("slowloris: connect, send nothing (HandshakeTimeout 5 s)", nc, 10*time.Second)

	nc = dial()
	var hello bytes.Buffer
	wire.WriteHello(&hello, &wire.Hello{Runtime: uuid.New()})
	var drip sync.WaitGroup
	drip.Go(func() {
		for _, c := range hello.Bytes() {
			if _, err := nc.Write([]byte{c}); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	})
	expectHangUp("slowloris: a hello at one byte per second", nc, 10*time.Second)
	drip.Wait()

	nc, _ = rawHandshake(t, endpoint)
	frame := callFrame(t, "Add", []byte{0x92, 0x01, 0x02})
	drip.Go(func() {
		for _, c := range frame {
			if _, err := nc.Write([]byte{c}); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	})
	expectHangUp("slowloris: a call at one byte per second (HeartbeatTimeout 6 s)", nc, 10*time.Second)
	drip.Wait()

	const idle = 5000
	conns := make([]net.Conn, idle)
	var opened sync.WaitGroup
	for i := range 50 {
		opened.Go(func() {
			for j := i; j < idle; j += 50 {
				c, err := net.Dial("tcp", endpoint)
				if err == nil {
					conns[j] = c
				}
			}
		})
	}
	opened.Wait()
	t.Logf("opened %d sockets in %s", idle, time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	floodPeak := rss(pid, "VmRSS")
	timeoutsBefore := strings.Count(logs.String(), "HandshakeTimeout")
	start := time.Now()
	var closed, stillOpen atomic.Int64
	var waited sync.WaitGroup
	for i := range 50 {
		waited.Go(func() {
			for j := i; j < idle; j += 50 {
				if conns[j] == nil {
					stillOpen.Add(1) // never opened: counted as a failure below
					continue
				}
				if _, ok := hungUpWithin(conns[j], 15*time.Second-time.Since(start)); ok {
					closed.Add(1)
				} else {
					stillOpen.Add(1)
				}
			}
		})
	}
	waited.Wait()
	assert.Zero(t, stillOpen.Load(), "idle sockets still open after 15 s")
	timedOut := strings.Count(logs.String(), "HandshakeTimeout") - timeoutsBefore
	report(fmt.Sprintf("%d idle connections at once", idle), fmt.Sprintf(
		"all %d closed: %d by HandshakeTimeout after their handshake goroutine, %d at once over MaxConns (4096); RSS %d KiB with all open",
		closed.Load(), timedOut, int(closed.Load())-timedOut, floodPeak))

	time.Sleep(300 * time.Millisecond) // legitimate calls after the flood, too
	l.end()
	close(sampling)
	sampler.Wait()
	hwm := rss(pid, "VmHWM")

	var out strings.Builder
	fmt.Fprintf(&out, "server RSS: %d KiB before the attacks, peak %d KiB sampled, VmHWM %d KiB\n", baseline, peak.Load(), hwm)
	fmt.Fprintf(&out, "legitimate calls: %d succeeded, %d failed\n", l.ok.Load(), l.failed.Load())
	for _, r := range table {
		fmt.Fprintf(&out, "  %-64s %s\n", r.attack, r.outcome)
	}
	t.Log("\n" + out.String())

	l.mu.Lock()
	assert.Zero(t, l.failed.Load(), "legitimate calls failed; first: %v", l.firstErr)
	l.mu.Unlock()
	assert.Greater(t, l.ok.Load(), int64(100))
	if !raceEnabled {
		assert.Less(t, hwm, 256<<10, "server peak RSS (KiB) is bounded")
	}

	log := logs.String()
	for _, want := range []string{"frame size limit", "MaxDepth", "MaxConns", "HandshakeTimeout", "HeartbeatTimeout"} {
		assert.Contains(t, log, want, "the server's log names the limit")
	}
	sc := bufio.NewScanner(strings.NewReader(log))
	lines := 0
	for sc.Scan() {
		lines++
	}
	t.Logf("server log: %d lines", lines)
}
