package remote_test

import (
	"bufio"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/remote"
)

// impostor is an attacker's listener that answers every hello with a
// victim's runtime id, then sends the DGC Clean of the victim's object in
// the victim's name, and records every call the owner sends it.
type impostor struct {
	ln      net.Listener
	as      uuid.UUID // the id it answers with
	clean   []byte    // the frame it sends once connected
	ended   chan string
	calls   chan uint64 // object numbers of calls it received
	wg      sync.WaitGroup
	mu      sync.Mutex
	sockets []net.Conn
}

func newImpostor(t *testing.T, host string, as uuid.UUID, victimObj uint64) *impostor {
	ln, err := net.Listen("tcp", host+":0")
	require.NoError(t, err)
	dgc := ifaceOf[gc.Service](t)
	m := dgc.ByName("Clean")
	im := &impostor{ln: ln, as: as, ended: make(chan string, 16), calls: make(chan uint64, 64),
		clean: callFrameOf(t, 1<<20, 1, m.Hash, "", m.In, []any{gc.Clean{Seq: 1 << 40, Objects: []uint64{victimObj}}}, nil)}
	im.wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			im.mu.Lock()
			im.sockets = append(im.sockets, nc)
			im.mu.Unlock()
			im.wg.Go(func() { im.serve(nc) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		im.mu.Lock()
		for _, nc := range im.sockets {
			nc.Close()
		}
		im.mu.Unlock()
		im.wg.Wait()
	})
	return im
}

// serve speaks as the victim on one socket the owner dialled, and
// reports how it ended: "closed" when the owner hung up without a word
// on the Clean, "clean answered" when the owner processed it.
func (im *impostor) serve(nc net.Conn) {
	br := bufio.NewReader(nc)
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	var h wire.Hello
	if err := wire.ReadHello(br, &h); err != nil {
		im.end("no hello: " + err.Error())
		return
	}
	if err := wire.WriteHello(nc, &wire.Hello{Runtime: im.as, Endpoint: im.ln.Addr().String()}); err != nil {
		im.end("closed")
		return
	}
	nc.Write(im.clean)
	nc.SetDeadline(time.Time{})
	for {
		f, err := wire.ReadFrame(br, 1<<20)
		if err != nil {
			im.end("closed")
			return
		}
		switch f.Kind() {
		case wire.KindCall:
			d := wire.NewDecoder(f.Body())
			var ch wire.CallHeader
			if wire.ReadCall(d, &ch) == nil && ch.Object != 1 { // not the DGC's
				select {
				case im.calls <- ch.Object:
				default:
				}
			}
			d.Release()
		case wire.KindReturn:
			d := wire.NewDecoder(f.Body())
			var rh wire.ReturnHeader
			if wire.ReadReturn(d, &rh) == nil && rh.ID == 1<<20 {
				im.end("clean answered")
			}
			d.Release()
		}
		f.Release()
	}
}

func (im *impostor) end(how string) {
	select {
	case im.ended <- how:
	default:
	}
}

// waitEnd waits for the owner to have dialled the impostor and dealt
// with it.
func (im *impostor) waitEnd(t *testing.T) string {
	t.Helper()
	select {
	case how := <-im.ended:
		return how
	case <-time.After(15 * time.Second):
		t.Fatal("the owner never dialled the impostor")
		return ""
	}
}

// heldBy reports whether obj is still exported by rt and held by holder.
func heldBy(rt *remote.Runtime, obj uint64, holder uuid.UUID) bool {
	for _, e := range rt.Inspect().Exports {
		if e.Ref.Object == obj {
			for _, h := range e.Holders {
				if h.Runtime == holder {
					return true
				}
			}
		}
	}
	return false
}

// Issue 12, item 8: an attacker makes the owner O dial its listener with
// a forged reference, answers as a victim, and sends a DGC Clean for the
// victim's object in the victim's name. O refuses the impostor before it
// joins anything: the victim's object is not collected, and O's calls to
// the victim's callback objects never reach the attacker.
//   - from the victim's own host, the forged reference names a fresh
//     runtime id: the peer is not the runtime dialled for;
//   - from another host (127.0.0.2), it names the victim's id: an
//     anonymous id keeps the host that first presented it, while O holds
//     its objects (H2 holds nothing of O's, only O holds its callback) or
//     it holds O's (H).
func TestImpostorThroughOwnersDialIsRefused(t *testing.T) {
	o := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", LeaseCheckInterval: 50 * time.Millisecond})
	_, err := remote.Export[testsvc.Calculator](o, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)

	// The victims: anonymous clients whose own counters O keeps as
	// callbacks; H also holds a counter of O's.
	victim := func(name string) (*remote.Runtime, testsvc.Calculator) {
		rt := newRuntime(t, remote.Options{})
		calc, err := remote.Dial[testsvc.Calculator](ctxT(t), rt, o.Endpoint(), calcID)
		require.NoError(t, err)
		callback, err := testsvc.NewCalc().NewCounter(ctxT(t), 100)
		require.NoError(t, err)
		require.NoError(t, calc.Keep(ctxT(t), name, callback))
		n, err := calc.Use(ctxT(t), name, 1)
		require.NoError(t, err)
		require.Equal(t, int64(101), n)
		return rt, calc
	}
	h, calc := victim("h")
	h2, _ := victim("h2")
	counter, err := calc.NewCounter(ctxT(t), 41)
	require.NoError(t, err)
	defer remote.Release(counter)
	require.NoError(t, h.Confirm(ctxT(t), counter))
	ref, _ := remote.RefOf(counter)
	require.True(t, heldBy(o, ref.Object, h.ID()))

	// The attacker's client: it passes O a reference, which O dials to
	// claim it, and asks O to call a victim's callback.
	ci := ifaceOf[testsvc.Calculator](t)
	isMine, use := ci.ByName("IsMine"), ci.ByName("Use")
	attacker, br := rawHandshake(t, o.Endpoint())
	id := uint64(0)
	pass := func(forged remote.Ref) {
		id++
		local, err := testsvc.NewCalc().NewCounter(ctxT(t), 0)
		require.NoError(t, err)
		_, err = attacker.Write(callFrameOf(t, id, calcID, isMine.Hash, "", isMine.In, []any{local}, forgedRefs{wire.Ref(forged)}))
		require.NoError(t, err)
		code, msg := readReply(t, attacker, br, id)
		require.Zero(t, code, msg)
	}
	callBack := func(name string, im *impostor) {
		id++
		_, err := attacker.Write(callFrameOf(t, id, calcID, use.Hash, "", use.In, []any{name, int64(1)}, nil))
		require.NoError(t, err)
		replied := make(chan string, 1)
		go func() {
			code, msg, err := tryReadReply(attacker, br, id)
			replied <- fmt.Sprintf("%v: %s (%v)", code, msg, err)
		}()
		select {
		case obj := <-im.calls:
			t.Errorf("O sent the call on %s's callback (object %d) to the impostor", name, obj)
			attacker.Close() // ends the reader above
			<-replied
		case r := <-replied:
			t.Logf("O's call on %s's callback, with %s gone: %s", name, name, r)
		}
	}

	// From H's host, a fresh id answered as H.
	same := newImpostor(t, "127.0.0.1", h.ID(), ref.Object)
	pass(remote.Ref{Runtime: uuid.New(), Endpoint: same.ln.Addr().String(), Object: 5000, Iface: "Counter"})
	assert.Equal(t, "closed", same.waitEnd(t), "O hangs up on a peer that is not the runtime it dialled")
	assert.True(t, heldBy(o, ref.Object, h.ID()), "H's object is still held by H")
	_, err = counter.Incr(ctxT(t), 1)
	require.NoError(t, err, "H's object is alive")

	// The victims' connections drop. O keeps H's hold on its counter
	// (until H's lease lapses) and its own holds on their callbacks.
	require.NoError(t, h.Crash()) // no cleans: as if its process died
	require.NoError(t, h2.Crash())
	require.Eventually(t, func() bool { return o.Inspect().Conns == 1 }, 10*time.Second, 5*time.Millisecond,
		"O still has the victims' connections")
	time.Sleep(200 * time.Millisecond) // several lease checks, which forget claims no longer needed

	// From another host, each victim's own id.
	other := newImpostor(t, "127.0.0.2", h.ID(), ref.Object)
	pass(remote.Ref{Runtime: h.ID(), Endpoint: other.ln.Addr().String(), Object: 5001, Iface: "Counter"})
	assert.Equal(t, "closed", other.waitEnd(t), "O hangs up on a second host presenting H's anonymous id")
	assert.True(t, heldBy(o, ref.Object, h.ID()), "H's object is still held by H")
	callBack("h", other)

	other2 := newImpostor(t, "127.0.0.2", h2.ID(), ref.Object)
	pass(remote.Ref{Runtime: h2.ID(), Endpoint: other2.ln.Addr().String(), Object: 5002, Iface: "Counter"})
	assert.Equal(t, "closed", other2.waitEnd(t), "O hangs up on a second host presenting H2's anonymous id")
	callBack("h2", other2)
}
