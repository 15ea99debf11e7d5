package examples_test

import (
	"context"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The replicas example: three replica processes in a group, 16 callers
// through one group stub, kill -9 of one under load. Readonly calls all
// succeed, unmarked calls fail only as outcome unknown (those in flight
// at the kill), and no call starts on the dead replica after the kill.
func TestReplicasFailOverAfterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	bin := build(t, "github.com/objrmi/objrmi/examples/replicas")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-duration", "1500ms").CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Logf("%s", out)
	assert.Contains(t, string(out), "readonly calls failed: 0\n")
	m := regexp.MustCompile(`unmarked calls failed: (\d+) \((\d+) outcome unknown`).FindStringSubmatch(string(out))
	require.NotNil(t, m, "%s", out)
	assert.Equal(t, m[1], m[2], "unmarked calls fail only with an unknown outcome")
	assert.Contains(t, string(out), "calls to r2 started after the kill: 0\n")
	assert.Regexp(t, `after the kill:  r1 [1-9]\d* +r3 [1-9]`, string(out), "traffic moved to the survivors")
}
