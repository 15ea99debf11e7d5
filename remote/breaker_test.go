package remote_test

import (
	"errors"
	"net"
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

// flakyProxy relays TCP to a target, and can go down: it then cuts what
// it carries and closes every new connection at once, as a server that
// crashed and restarts in a loop would look; it counts the connections
// it accepted.
type flakyProxy struct {
	ln       net.Listener
	target   string
	accepted atomic.Int64
	mu       sync.Mutex
	down     bool
	conns    []net.Conn
	wg       sync.WaitGroup
}

func newFlakyProxy(t *testing.T, target string) *flakyProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &flakyProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
		p.wg.Wait()
	})
	return p
}

func (p *flakyProxy) addr() string { return p.ln.Addr().String() }

func (p *flakyProxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *flakyProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			dst.Close()
			return
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			src.Close()
			return
		}
	}
}

// setDown takes the proxy down (cutting what it carries) or up.
func (p *flakyProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

func TestTheBreakerOpensFailsFastProbesAndCloses(t *testing.T) {
	acct := testsvc.NewAccount("a", 100)
	srv := accountServer(t, acct, remote.Options{})
	p := newFlakyProxy(t, srv.Endpoint())
	cli := newRuntime(t, remote.Options{Breaker: &remote.BreakerPolicy{Failures: 3, OpenFor: 200 * time.Millisecond}})
	a, err := remote.Dial[testsvc.Account](ctxT(t), cli, p.addr(), accountID)
	require.NoError(t, err)

	p.setDown(true)
	for i := range 3 {
		_, err := a.Name(ctxT(t))
		require.ErrorIs(t, err, objerr.ErrConnection, "failure %d", i+1)
		require.NotErrorIs(t, err, objerr.ErrCircuitOpen)
	}
	dials := p.accepted.Load()
	_, err = a.Name(ctxT(t))
	require.ErrorIs(t, err, objerr.ErrCircuitOpen, "open after 3 failures")
	require.ErrorIs(t, err, objerr.ErrNotSent)
	var oe *objerr.Error
	require.ErrorAs(t, err, &oe)
	assert.Positive(t, oe.RetryAfter, "the error says when the probe goes")
	assert.Equal(t, dials, p.accepted.Load(), "failing fast: no connection was tried")

	// Still down when the probe goes: the probe fails, and the circuit
	// opens again.
	probe := waitForProbe(t, a)
	require.ErrorIs(t, probe, objerr.ErrConnection)
	_, err = a.Name(ctxT(t))
	require.ErrorIs(t, err, objerr.ErrCircuitOpen, "a failed probe opens the circuit again")

	// Up again: the next probe succeeds and closes the circuit.
	p.setDown(false)
	require.NoError(t, waitForProbe(t, a))
	for range 5 {
		_, err := a.Name(ctxT(t))
		require.NoError(t, err, "closed again")
	}
}

// waitForProbe calls until a call is let through the open circuit, and
// returns that call's error.
func waitForProbe(t *testing.T, a testsvc.Account) error {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, err := a.Name(ctxT(t))
		if !errors.Is(err, objerr.ErrCircuitOpen) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no probe went through the open circuit")
	return nil
}

func TestAMethodsOwnErrorsDoNotOpenTheBreaker(t *testing.T) {
	acct := testsvc.NewAccount("a", 0)
	srv := accountServer(t, acct, remote.Options{})
	cli := newRuntime(t, remote.Options{Breaker: &remote.BreakerPolicy{Failures: 2}})
	require.NoError(t, cli.RegisterError("testsvc.overdrawn", testsvc.ErrOverdrawn))
	require.NoError(t, srv.RegisterError("testsvc.overdrawn", testsvc.ErrOverdrawn))
	a, err := remote.Dial[testsvc.Account](ctxT(t), cli, srv.Endpoint(), accountID)
	require.NoError(t, err)
	for range 10 {
		_, err := a.Withdraw(ctxT(t), 10)
		require.ErrorIs(t, err, testsvc.ErrOverdrawn)
	}
}
