//go:build unix

package examples_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's calculator command runs three processes and leaves none
// behind: the script runs in a process group of its own, and once it has
// exited, nothing of that group may still be running (the old flow of
// `go run ... &` and `kill %1` left the server and the registry bound).
func TestCalculatorScriptLeavesNoProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "calculator/run.sh")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// On a timeout, stop the whole group, not only the script.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// An orphan keeps the output pipes open: stop waiting for it soon
	// after the script exits, and let the check below name the fault.
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	pgid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	err = cmd.Wait()
	// kill(-pgid, 0) fails with ESRCH once no process of the group is left.
	alive := syscall.Kill(-pgid, 0)
	assert.True(t, errors.Is(alive, syscall.ESRCH), "processes of the script still run after it exited (kill -0: %v)", alive)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)

	out := stdout.String()
	assert.Regexp(t, `^registry: objrmi://127\.0\.0\.1:\d+\n`, out)
	assert.Regexp(t, `\nserver: calculator bound as objrmi://127\.0\.0\.1:\d+/calculator\n`, out)
	assert.True(t, strings.HasSuffix(out, strings.Join([]string{
		"Add(2, 3) = 5",
		"Div(1, 0) failed as expected: remote=true, errors.Is(ErrDivByZero)=true",
		"callback: tick 3",
		"callback: tick 2",
		"callback: tick 1",
		"countdown done",
	}, "\n")+"\n"), "stdout:\n%s", out)
	assert.Contains(t, stderr.String(), "unbind", "the server unbinds before the registry stops")
}
