// Package testutil holds the helpers that the tests of several packages
// share: runtimes closed at the end of a test, bounded contexts, child
// processes, a log buffer safe to read while written, and the lookup
// benchmark body.
package testutil

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// Runtime starts a runtime closed at the end of the test.
func Runtime(t testing.TB, opts remote.Options) *remote.Runtime {
	t.Helper()
	rt, err := remote.NewRuntime(opts)
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close() })
	return rt
}

// Ctx bounds a test's calls well beyond its needs, so a bug fails rather
// than hangs.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Buffer collects log output for a test to read while it is written.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// BenchLookups measures, from client, lookups of the Calculator bound as
// "calc" in the registry at url: a bare Lookup (one call), and the typed
// registry.Lookup that programs use (URL, call, stub; the stub is
// released each time, so each iteration also makes its dirty and clean).
func BenchLookups(b *testing.B, client *remote.Runtime, url string) {
	ctx := context.Background()
	c, err := registry.Dial(ctx, client, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Ref", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Lookup(ctx, "calc"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Typed", func(b *testing.B) {
		for b.Loop() {
			calc, err := registry.Lookup[testsvc.Calculator](ctx, client, url+"/calc")
			if err != nil {
				b.Fatal(err)
			}
			remote.Release(calc)
		}
	})
}

// Start runs cmd until the test ends (then kills it) and returns the
// first line it prints, trimmed, and a reader over the rest of its
// output. cmd.Stderr, if unset, goes to this test's stderr.
func Start(t testing.TB, cmd *exec.Cmd) (string, *bufio.Reader) {
	t.Helper()
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	require.NoError(t, err, "%s printed nothing", cmd.Path)
	return strings.TrimSpace(line), r
}
