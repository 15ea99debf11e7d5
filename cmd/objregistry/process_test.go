package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// Three kinds of process: the registry daemon, a server that binds, a
// client that looks up and calls; then the CLI against the live registry.
func TestRegistryServerClientAndCLI(t *testing.T) {
	d := serveRegistry(t)
	_, serverID := startServer(t, d.url, "calc")
	assert.Equal(t, "sum 5", runClient(t, d.url+"/calc"))

	out, errOut, code := cli(t, "list", d.url)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "calc\n", out)

	out, errOut, code = cli(t, "list", "--long", d.url)
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `(?m)^NAME\s+INTERFACE\s+ENDPOINT\s+OBJECT\n^calc\s+Calculator\s+127\.0\.0\.1:\d+\s+1024$`, out)

	out, errOut, code = cli(t, "lookup", d.url+"/calc")
	require.Equal(t, 0, code, errOut)
	t.Logf("objregistry lookup %s/calc:\n%s", d.url, out)
	for _, want := range []string{
		`(?m)^name:\s+calc$`,
		`(?m)^interface:\s+Calculator$`,
		`(?m)^endpoint:\s+127\.0\.0\.1:\d+$`,
		`(?m)^runtime:\s+` + regexp.QuoteMeta(serverID) + `$`,
		`(?m)^object:\s+1024$`,
		// The registry, and the client process until its lease lapses:
		// it exits without a clean.
		`(?m)^holders:\s+[12]$`,
		`(?m)^  [0-9a-f-]{36}\s+lease expires in \d`,
	} {
		assert.Regexp(t, want, out)
	}

	out, errOut, code = cli(t, "unbind", d.url+"/calc")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "unbound calc\n", out)
	out, _, code = cli(t, "list", d.url)
	assert.Equal(t, 0, code)
	assert.Empty(t, out)

	_, errOut, code = cli(t, "lookup", d.url+"/calc")
	assert.Equal(t, 1, code)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
	assert.Contains(t, errOut, `name is not bound: "calc"`)
	_, errOut, code = cli(t, "unbind", d.url+"/calc")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not bound")

	require.NoError(t, d.cmd.Process.Signal(syscall.SIGINT))
	require.NoError(t, d.cmd.Wait(), "graceful exit on SIGINT")
	assert.Contains(t, d.logs.String(), "objregistry: shutting down")
}

// An owner without an Authorize that allows Inspect does not disclose
// who holds its objects: lookup says so, and succeeds.
func TestLookupWhenTheOwnerDisclosesNoHolders(t *testing.T) {
	d := serveRegistry(t)
	srv := testutil.Runtime(t, remote.Options{Listen: "127.0.0.1:0"})
	ref, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc())
	require.NoError(t, err)
	c, err := registry.Dial(ctxT(t), srv, d.url)
	require.NoError(t, err)
	require.NoError(t, c.Bind(ctxT(t), "private", ref))

	out, errOut, code := cli(t, "lookup", d.url+"/private")
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `(?m)^object:\s+1024$`, out)
	assert.Regexp(t, `(?m)^holders:\s+not disclosed by the owner$`, out)
}

func TestCLIUsage(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--help"}, 0, "objregistry serve", ""},
		{[]string{"help", "lookup"}, 0, "usage: objregistry lookup [flags] URL/NAME", ""},
		{[]string{"serve", "--help"}, 0, "-store", ""},
		{[]string{"list", "--help"}, 0, "-long", ""},
		{[]string{"unbind", "-h"}, 0, "usage: objregistry unbind", ""},
		{nil, 2, "", "usage:"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"serve", "--store", "etcd"}, 2, "", `--store "etcd": want "memory" or "file:PATH"`},
		{[]string{"serve", "--log-level", "loud"}, 2, "", `--log-level "loud"`},
		{[]string{"serve", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"list"}, 2, "", "want one URL, got 0 arguments"},
		{[]string{"list", "objrmi://127.0.0.1:1/x"}, 2, "", "without a name"},
		{[]string{"lookup", "objrmi://127.0.0.1:1"}, 2, "", "names no binding"},
		{[]string{"lookup", "http://127.0.0.1/x"}, 2, "", `scheme "http" is not objrmi`},
		{[]string{"list", "--timeout", "0s", "objrmi://127.0.0.1:1"}, 2, "", "--timeout 0s: must be positive"},
		{[]string{"lookup", "--timeout", "2s", "objrmi://127.0.0.1:1/x"}, 1, "", "connection refused"},
	} {
		out, errOut, code := cli(t, tc.args...)
		assert.Equal(t, tc.code, code, "%v: %s%s", tc.args, out, errOut)
		assert.Contains(t, out, tc.stdout, "%v", tc.args)
		assert.Contains(t, errOut, tc.stderr, "%v", tc.args)
		if tc.code != 0 && tc.args != nil {
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "%v: one line: %q", tc.args, errOut)
		}
	}
}

// kill -9 the server: its binding goes within the lease plus a margin,
// and a lookup then says "not bound" rather than handing out a dead
// reference.
func TestBindingOfAKilledServerDisappears(t *testing.T) {
	d := serveRegistry(t)
	server, _ := startServer(t, d.url, "calc")
	c, err := registry.Dial(ctxT(t), newRuntime(t), d.url)
	require.NoError(t, err)

	killed := time.Now()
	require.NoError(t, server.Process.Kill())
	for {
		names, err := c.List(ctxT(t))
		require.NoError(t, err)
		if len(names) == 0 {
			break
		}
		require.Less(t, time.Since(killed), lease+3*time.Second, "still bound: %v", names)
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("binding removed %v after kill -9 of its server (lease %v)", time.Since(killed), lease)
	_, err = c.Lookup(ctxT(t), "calc")
	assert.ErrorIs(t, err, registry.ErrNotBound)
	require.Eventually(t, func() bool {
		return strings.Contains(d.logs.String(), `msg="objrmi registry: removed a binding: its object is gone or unreachable" name=calc`)
	}, 5*time.Second, 10*time.Millisecond, "the registry logs why:\n%s", d.logs)
	assert.Contains(t, d.logs.String(), "lease lapsed: runtime")

	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, d.cmd.Wait(), "graceful exit on SIGTERM")
}

// Restart with the file store: the bindings of live servers survive a
// crash (kill -9) of the registry, and the one whose server was killed
// while the registry was down is dropped.
func TestFileStoreRestartAcrossProcesses(t *testing.T) {
	store := "file:" + filepath.Join(t.TempDir(), "bindings.json")
	d := serveRegistry(t, "--store", store)
	startServer(t, d.url, "a")
	startServer(t, d.url, "b")
	dead, _ := startServer(t, d.url, "c")

	require.NoError(t, d.cmd.Process.Kill())
	d.cmd.Wait()
	require.NoError(t, dead.Process.Kill())

	d2 := serveRegistry(t, "--store", store)
	restarted := time.Now()
	c, err := registry.Dial(ctxT(t), newRuntime(t), d2.url)
	require.NoError(t, err)
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		names, err := c.List(ctxT(t))
		assert.NoError(ct, err)
		assert.Equal(ct, []string{"a", "b"}, names)
	}, lease+5*time.Second, 5*time.Millisecond)
	t.Logf("dead binding dropped %v after the restart (lease %v)", time.Since(restarted), lease)
	assert.Equal(t, "sum 5", runClient(t, d2.url+"/a"))
	assert.Equal(t, "sum 5", runClient(t, d2.url+"/b"))
	assert.Contains(t, d2.logs.String(), "restored bindings")
}

// A registry daemon whose store's directory is read-only still starts,
// and serves lookups and list; a change fails, saying the store is
// read-only, and names none of the server's files.
func TestServeReadOnlyStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	require.NoError(t, os.Mkdir(dir, 0o755))
	path := filepath.Join(dir, "bindings.json")
	d := serveRegistry(t, "--store", "file:"+path)
	startServer(t, d.url, "calc")
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, d.cmd.Wait())
	// Deployed to a read-only directory: no lock file there.
	require.NoError(t, os.Remove(path+".lock"))
	testutil.MakeUnwritable(t, dir)

	d2 := serveRegistry(t, "--store", "file:"+path)
	out, errOut, code := cli(t, "list", d2.url)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "calc\n", out)
	assert.Equal(t, "sum 5", runClient(t, d2.url+"/calc"))

	_, errOut, code = cli(t, "unbind", d2.url+"/calc")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `the store is read-only: unbind "calc" refused`)
	assert.NotContains(t, errOut, dir)
	assert.Contains(t, d2.logs.String(), "file store is read-only")
	out, _, _ = cli(t, "list", d2.url)
	assert.Equal(t, "calc\n", out, "still bound")
}
