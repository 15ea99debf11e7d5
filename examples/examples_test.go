// Package examples_test builds the example programs and runs them as
// separate OS processes, checking what they print.
package examples_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testutil"
)

func build(t *testing.T, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// firstLine runs bin with args for the rest of the test and returns what
// follows prefix on the first line it prints.
func firstLine(t *testing.T, prefix, bin string, args ...string) string {
	t.Helper()
	line, _ := testutil.Start(t, exec.Command(bin, args...))
	rest, ok := strings.CutPrefix(line, prefix)
	require.True(t, ok, "%s said %q", bin, line)
	return rest
}

// The calculator example: a standalone registry, a server that binds in
// it, and a client that finds the server by URL, as three processes.
func TestCalculatorServerAndClientProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	registry := build(t, "github.com/objrmi/objrmi/cmd/objregistry")
	server := build(t, "github.com/objrmi/objrmi/examples/calculator/server")
	client := build(t, "github.com/objrmi/objrmi/examples/calculator/client")

	regURL := firstLine(t, "objregistry: serving ", registry, "serve", "--listen", "127.0.0.1:0")
	url := firstLine(t, "calculator bound as ", server, "-registry", regURL)
	assert.Equal(t, regURL+"/calculator", url)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, client, "-url", url).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, strings.Join([]string{
		"Add(2, 3) = 5",
		"Div(1, 0) failed as expected: remote=true, errors.Is(ErrDivByZero)=true",
		"callback: tick 3",
		"callback: tick 2",
		"callback: tick 1",
		"countdown done",
	}, "\n")+"\n", string(out))
}

func TestQuickstartRunsTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	bin := build(t, "github.com/objrmi/objrmi/examples/quickstart")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin).CombinedOutput()
	require.NoError(t, err, "%s", out)
	text := string(out)
	assert.Regexp(t, `0\. Lookup objrmi://127\.0\.0\.1:\d+/calc`, text)
	assert.Contains(t, text, "1. Add(2, 3) = 5")
	assert.Contains(t, text, "Incr(2) = 42")
	assert.Equal(t, 3, strings.Count(text, "got callback"))
	assert.Contains(t, text, "done:")

	// The callbacks ran in the client process, sent by the server process.
	var serverPid, clientPid string
	for _, l := range strings.Split(text, "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[1] == "pid" {
			if f[0] == "server:" {
				serverPid = strings.TrimSuffix(f[2], ",")
			} else if f[0] == "client:" {
				clientPid = strings.TrimSuffix(f[2], ",")
			}
		}
	}
	require.NotEmpty(t, serverPid)
	require.NotEqual(t, serverPid, clientPid, "two processes")
	assert.Contains(t, text, "client pid "+clientPid+" got callback: event 1 of 3 from server pid "+serverPid)
}
