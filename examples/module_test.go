package examples_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testutil"
)

// A new user follows the README's "Using objrmi in your module" in a
// fresh module outside this repository, word by word: every command of
// its shell blocks runs as written, and its Go block is the interface.
// A replace directive to this checkout stands in for the published
// module. Then a server and a client built in that module call each
// other across two processes.
func TestReadmeModuleSetupBuildsAnAppThatCallsAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module and runs programs")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	section := readmeSection(t, string(readme), "## Using objrmi in your module")
	for _, must := range []string{
		"Go 1.26",
		"go get github.com/objrmi/objrmi@latest\n",
		"go get -tool github.com/objrmi/objrmi/cmd/objstub\n",
		"//go:generate go tool objstub -type Greeter\n",
		"`greet/greet.go`",
		"go install github.com/objrmi/objrmi/cmd/objregistry@latest\n",
		"go build -o bin/objregistry github.com/objrmi/objrmi/cmd/objregistry\n",
	} {
		require.Contains(t, section, must, "the README's section must say it")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	// The module cache, which this repository's own build filled, is the
	// only source: no module is fetched, and the replace answers for
	// objrmi, which no proxy serves from this checkout.
	env := append(os.Environ(),
		"GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local",
		"GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"),
		"GOBIN="+filepath.Join(dir, "gobin"))
	goCmd := func(args ...string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s in the new module:\n%s\n(does the module cache lack a module? run go mod download in the repository)",
			strings.Join(args, " "), out)
	}

	var ran []string
	for _, b := range fencedBlocks(section) {
		switch b.lang {
		case "go":
			file := filepath.Join(dir, "greet", "greet.go")
			require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
			require.NoError(t, os.WriteFile(file, []byte(b.body), 0o644))
		case "sh":
			for _, line := range strings.Split(b.body, "\n") {
				line, _, _ = strings.Cut(line, "#")
				args := strings.Fields(line)
				if len(args) == 0 {
					continue
				}
				require.Equal(t, "go", args[0], "the section's commands are go commands: %q", line)
				if args[1] == "install" {
					// @latest needs the published module, and go install
					// pkg@version ignores replace directives; the go build -o
					// line builds the same program from the replacement.
					t.Logf("not run (needs the published module): %s", line)
					continue
				}
				goCmd(args[1:]...)
				ran = append(ran, strings.Join(args, " "))
				if args[1] == "mod" && args[2] == "init" {
					goCmd("mod", "edit", "-replace", "github.com/objrmi/objrmi="+root)
				}
			}
		}
	}
	assert.Equal(t, []string{
		"go mod init example.com/greet",
		"go get github.com/objrmi/objrmi@latest",
		"go get -tool github.com/objrmi/objrmi/cmd/objstub",
		"go generate ./...",
		"go mod tidy",
		"go build ./...",
		"go build -o bin/objregistry github.com/objrmi/objrmi/cmd/objregistry",
	}, ran, "the commands the README gives, in its order")

	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(gomod), "\ntool github.com/objrmi/objrmi/cmd/objstub\n", "go mod tidy keeps the tool")
	assert.FileExists(t, filepath.Join(dir, "greet", "greeter_objstub.go"))
	assert.FileExists(t, filepath.Join(dir, "bin", "objregistry"))

	// The user's programs, as in the README's short tour.
	for file, src := range map[string]string{"server/main.go": greetServer, "client/main.go": greetClient} {
		path := filepath.Join(dir, file)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	}
	goCmd("build", "-o", "bin/", "./server", "./client")

	server := exec.Command(filepath.Join(dir, "bin", "server"))
	line, _ := testutil.Start(t, server)
	endpoint, ok := strings.CutPrefix(line, "serving ")
	require.True(t, ok, "server said %q", line)
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "bin", "client"), endpoint).CombinedOutput()
	require.NoError(t, err, "client:\n%s", out)
	m := regexp.MustCompile(`^client pid (\d+): hello, objrmi, from server pid (\d+)\n$`).FindStringSubmatch(string(out))
	require.NotNil(t, m, "client said %q", out)
	assert.Equal(t, strconv.Itoa(server.Process.Pid), m[2], "the server process answered")
	assert.NotEqual(t, m[1], m[2], "two processes")
}

// readmeSection is the text from heading to the next heading of its level.
func readmeSection(t *testing.T, readme, heading string) string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "\n"+heading+"\n")
	require.True(t, ok, "README.md has no %q section", heading)
	section, _, _ := strings.Cut(rest, "\n## ")
	return section
}

type block struct{ lang, body string }

// fencedBlocks returns the ``` blocks of markdown text, in order.
func fencedBlocks(text string) []block {
	var blocks []block
	var cur *block
	for _, line := range strings.SplitAfter(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &block{lang: strings.TrimPrefix(trimmed, "```")}
		case cur != nil && trimmed == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.body += line
		}
	}
	return blocks
}

const greetServer = `package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"example.com/greet/greet"
	"github.com/objrmi/objrmi/remote"
)

type greeter struct{}

func (greeter) Hello(_ context.Context, name string) (string, error) {
	return fmt.Sprintf("hello, %s, from server pid %d", name, os.Getpid()), nil
}

func main() {
	rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
	defer rt.Close()
	if _, err := remote.Export[greet.Greeter](rt, greeter{}, remote.WithID(100)); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
	fmt.Println("serving", rt.Endpoint())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}
`

const greetClient = `package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"example.com/greet/greet"
	"github.com/objrmi/objrmi/remote"
)

func main() {
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

func run(endpoint string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt, err := remote.NewRuntime(remote.Options{})
	if err != nil {
		return err
	}
	defer rt.Close()
	g, err := remote.Dial[greet.Greeter](ctx, rt, endpoint, 100)
	if err != nil {
		return err
	}
	msg, err := g.Hello(ctx, "objrmi")
	if err != nil {
		return err
	}
	fmt.Printf("client pid %d: %s\n", os.Getpid(), msg)
	return nil
}
`
