package remote_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// rawCall sends one call with hand-made argument bytes and returns the
// reply's code and message, and whether the server then hung up.
func rawCall(t *testing.T, endpoint string, method string, args []byte) (code objerr.Code, msg string, hungUp bool) {
	nc, br := rawHandshake(t, endpoint)
	_, err := nc.Write(callFrame(t, method, args))
	require.NoError(t, err)
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := wire.ReadFrame(br, 1<<20)
	if err != nil {
		return 0, err.Error(), true
	}
	d := wire.NewDecoder(f.Body())
	var rh wire.ReturnHeader
	require.NoError(t, wire.ReadReturn(d, &rh))
	var eb wire.ErrorBody
	if rh.Code != 0 {
		require.NoError(t, wire.ReadError(d, &eb))
	}
	// A ping is the next frame on a live connection; a closed one ends.
	nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err = wire.ReadFrame(br, 1<<20)
	var ne net.Error
	hungUp = err != nil && !(errors.As(err, &ne) && ne.Timeout())
	return rh.Code, eb.Message, hungUp
}

// Arguments that announce more than they hold are malformed: the server
// hangs up. Arguments that nest or repeat beyond a limit get an answer
// that names the limit, then the server hangs up. Arguments of the wrong
// type fail that call alone. The server lives on throughout.
func TestHostileArgumentsAreRefusedBeforeDecoding(t *testing.T) {
	srv, _, _, calc := pair(t)
	cases := map[string]struct {
		method string
		args   []byte
		code   objerr.Code // 0: no answer
		hangUp bool
		msg    string
	}{
		"4G-element slice, no data": {"Echo", []byte{0x91, 0xdd, 0xff, 0xff, 0xff, 0xff}, 0, true, "EOF"},
		"64K-deep nesting": {"Holder", append([]byte{0x91, 0x81, 0xa1, 'Z'}, bytes.Repeat([]byte{0x91}, 1<<16)...),
			objerr.CodeLimit, true, "MaxDepth"},
		"2M-element array": {"Echo", append([]byte{0x91, 0xdd, 0, 0x20, 0, 0}, bytes.Repeat([]byte{0x01}, 2<<20)...),
			objerr.CodeLimit, true, "MaxCollectionLen"},
		"string for an int64": {"Add", []byte{0x92, 0xa3, 'a', 'b', 'c', 0x01}, objerr.CodeBadArguments, false, "arguments do not match"},
		"too few arguments":   {"Add", []byte{0x91, 0x01}, objerr.CodeBadArguments, false, "got 1, want 2"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, msg, hungUp := rawCall(t, srv.Endpoint(), c.method, c.args)
			assert.Equal(t, c.code, code, msg)
			assert.Equal(t, c.hangUp, hungUp, "server hung up")
			assert.Contains(t, msg, c.msg)
			_, err := calc.Add(ctxT(t), 1, 2)
			require.NoError(t, err)
		})
	}
}

type nilErr struct{}

func (*nilErr) Error() string { panic("typed nil") }

type typedNil struct{ *testsvc.Calc }

func (typedNil) Add(context.Context, int64, int64) (int64, error) {
	var e *nilErr
	return 0, e // a typed nil: non-nil error whose Error panics
}

// A method whose error cannot even be printed fails that call only.
func TestBrokenErrorValueFailsOnlyThatCall(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	ref, err := remote.Export[testsvc.Calculator](srv, typedNil{testsvc.NewCalc()})
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	calc, err := remote.StubOf[testsvc.Calculator](cli, ref)
	require.NoError(t, err)
	_, err = calc.Add(ctxT(t), 1, 2)
	assert.ErrorIs(t, err, objerr.ErrRemote)
	_, err = calc.Echo(ctxT(t), []byte("still here"))
	require.NoError(t, err)
}

// With the call budget spent, a new call is refused as Overloaded (not
// sent), while replies and callbacks keep flowing on the connection.
func TestFullCallBudgetRefusesWithoutBlocking(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", MaxInflight: 1})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(ctxT(t))
	done := make(chan error, 1)
	go func() {
		_, err := calc.Wait(ctx, time.Minute)
		done <- err
	}()
	<-impl.Started
	_, err = calc.Add(ctxT(t), 1, 2)
	assert.ErrorIs(t, err, objerr.ErrOverloaded)
	assert.ErrorIs(t, err, objerr.ErrNotSent)

	cancel() // the cancel still reaches the server
	<-done
	seen := <-impl.Ended
	assert.True(t, seen.Canceled)
	require.Eventually(t, func() bool {
		_, err := calc.Add(ctxT(t), 1, 2)
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "the slot comes back")
}

// A runtime that advertises someone else's endpoint cannot capture calls
// meant for that endpoint.
func TestAdvertisedEndpointDoesNotHijackDial(t *testing.T) {
	ctx := ctxT(t)
	real := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	_, err := remote.Export[testsvc.Calculator](real, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	server := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	_, err = remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)

	liar := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Advertise: real.Endpoint()})
	_, err = remote.Export[testsvc.Calculator](liar, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	// The liar connects to the server, claiming real's endpoint.
	_, err = remote.Dial[testsvc.Calculator](ctx, liar, server.Endpoint(), calcID)
	require.NoError(t, err)

	got, err := remote.Dial[testsvc.Calculator](ctx, server, real.Endpoint(), calcID)
	require.NoError(t, err)
	ref, _ := remote.RefOf(got)
	assert.Equal(t, real.ID(), ref.Runtime, "the server reached the real runtime")
}
