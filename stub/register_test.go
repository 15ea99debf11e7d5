package stub_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
	"github.com/objrmi/objrmi/stub"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Streamer breaks a rule: a chan cannot cross the wire.
type Streamer interface {
	Stream(ctx context.Context, c chan int) error
}

// streamerStub is the shell a stale or hand-written generated file would
// hold for Streamer.
type streamerStub struct{ *stub.Stub }

func (s streamerStub) Stream(ctx context.Context, c chan int) error {
	return s.Invoke(ctx, 0, []any{c}, nil)
}

type streamer struct{}

func (streamer) Stream(context.Context, chan int) error { return nil }

var registeredAtInit bool

// As generated code does: a panic here would stop the test binary, and
// every program that imports such a package, before main.
func init() {
	stub.Register[Streamer](func(s *stub.Stub) Streamer { return streamerStub{s} })
	registeredAtInit = true
}

// A shell registered at init for an interface the runtime refuses does
// not panic; each use of the interface fails with the refusal instead.
func TestRegisterOfARefusedInterfaceDoesNotPanic(t *testing.T) {
	require.True(t, registeredAtInit)
	_, want := iface.For[Streamer]()
	var ie *objerr.InterfaceError
	require.True(t, errors.As(want, &ie), "%v", want)

	rt, err := remote.NewRuntime(remote.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, rt.Close()) })

	_, err = remote.StubOf[Streamer](rt, remote.WellKnown("127.0.0.1:1", 100, "Streamer"))
	require.ErrorAs(t, err, &ie)
	require.Equal(t, want.Error(), err.Error())

	_, err = remote.Export[Streamer](rt, streamer{})
	require.ErrorAs(t, err, &ie)
	require.Equal(t, want.Error(), err.Error())
}
