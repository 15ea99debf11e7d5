package main

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Flags may follow the URL, as in most CLIs; after "--" everything is
// an argument.
func TestFlagsAfterTheURL(t *testing.T) {
	d := serveRegistry(t)
	out, errOut, code := cli(t, "list", d.url, "--long", "--timeout", "5s")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "NAME")

	_, errOut, code = cli(t, "lookup", d.url+"/nothing", "--timeout=5s")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `name is not bound: "nothing"`)

	_, errOut, code = cli(t, "list", "--", d.url, "--long")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "want one URL, got 2 arguments")

	_, errOut, code = cli(t, "serve", "--listen", "127.0.0.1:0", "extra", "--lease", "1s")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unexpected argument "extra"`)
}

// A duration without a unit gets a hint to write one.
func TestDurationWithoutAUnitGetsAHint(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--timeout", "1", "objrmi://127.0.0.1:1"}, `invalid value "1" for flag -timeout: a duration needs a unit: write 1s`},
		{[]string{"lookup", "--timeout", "2.5", "objrmi://127.0.0.1:1/x"}, "write 2.5s"},
		{[]string{"serve", "--lease", "30"}, `invalid value "30" for flag -lease: a duration needs a unit: write 30s`},
		{[]string{"list", "--timeout", "soon", "objrmi://127.0.0.1:1"}, "want a duration such as 10s"},
	} {
		_, errOut, code := cli(t, tc.args...)
		assert.Equal(t, 2, code, "%v", tc.args)
		assert.Contains(t, errOut, tc.want, "%v", tc.args)
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "%v: one line: %q", tc.args, errOut)
	}
}

// A server that accepts the connection but never answers: the timeout
// says what it waited for, and what to try.
func TestTimeoutSaysWhatItWaitedFor(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() { // accepts, and says nothing
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})

	url := "objrmi://" + ln.Addr().String()
	_, errOut, code := cli(t, "list", "--timeout", "500ms", url)
	assert.Equal(t, 1, code)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
	assert.Contains(t, errOut, "timed out after 500ms waiting for the registry "+url+" to answer the connection's handshake")
	assert.Contains(t, errOut, "give a longer --timeout")
	t.Logf("%s", errOut)
}

// No registry at the URL: the error says so, and what to do, in one
// line, not a chain that ends in "connection refused".
func TestNoRegistryThereSaysWhatToDo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "objrmi://" + ln.Addr().String()
	ln.Close() // nothing listens there now

	_, errOut, code := cli(t, "list", url)
	assert.Equal(t, 1, code)
	assert.Equal(t, "objregistry list: nothing listens at "+url+" (connection refused): start a registry there (objregistry serve), or check the host and port\n", errOut)
}
