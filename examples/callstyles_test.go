package examples_test

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// go run ./examples/callstyles: two processes, every call style, each
// with its output, and exit status 0.
func TestCallStylesRunsTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	bin := build(t, "github.com/objrmi/objrmi/examples/callstyles")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin).CombinedOutput()
	require.NoError(t, err, "%s", out)
	text := string(out)
	for _, want := range []string{
		"1. sync: Price(apple) = 3",
		"2. async: 3 calls in flight at once, awaited together: apple=3 pear=4 plum=5",
		"3. one-way: Note returned once its call was written",
		`the server has run it: Notes() = ["hello from the client"]`,
		"4. callback:",
		"5. batch: 4 calls in one frame, run in order, stopping at the first error:\n" +
			"   Buy(apple, 2): balance 94\n" +
			"   Buy(pear, 1): balance 90\n" +
			"   Buy(gold, 1): failed: 1 gold cost 1000, and the balance is 90\n" +
			"   Buy(plum, 1): not run, the batch stopped (not sent: true)\n",
		"6. stream: Ticks(1000), at most 4 items ahead; the loop takes 3 and breaks\n" +
			"   tick 0\n   tick 1\n   tick 2\n",
		"   server: Ticks stopped after ",
		": objrmi: the caller cancelled the call",
		"done: every call style",
	} {
		assert.Contains(t, text, want)
	}
	server := regexp.MustCompile(`server: pid (\d+),`).FindStringSubmatch(text)
	client := regexp.MustCompile(`client: pid (\d+),`).FindStringSubmatch(text)
	require.Len(t, server, 2, text)
	require.Len(t, client, 2, text)
	require.NotEqual(t, server[1], client[1], "two processes")
	assert.Equal(t, 2, strings.Count(text, "client pid "+client[1]+" was called back: tick"))
	assert.Contains(t, text, "from server pid "+server[1])
}
