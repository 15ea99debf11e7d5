package registry_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
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

// writerEnv turns the test binary into a process that rewrites the file
// store at that path until it is killed.
const writerEnv = "OBJRMI_REGISTRY_TEST_WRITER"

func writerChild(path string) {
	s, err := registry.OpenFileStore(path, registry.FileOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "writer:", err)
		os.Exit(2)
	}
	fmt.Println("writing")
	ref := remote.Ref{Runtime: [16]byte{1}, Endpoint: "127.0.0.1:1", Object: 1024, Iface: "Calculator"}
	for i := uint64(0); ; i++ {
		ref.Object = 1024 + i
		if _, _, err := s.Put(context.Background(), registry.Binding{Name: fmt.Sprintf("n%d", i%50), Ref: ref}); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(2)
		}
	}
}

// filesIn lists the names in dir.
func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func logTo(b *testutil.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// A process that writes the store is killed (kill -9) until a kill lands
// between the creation of a temporary file and its rename, leaving it
// behind. The next open removes it, says so, and the file is intact.
func TestFileStoreRemovesTheTempFileOfAKilledWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bindings.json")
	var left []string
	kills := 0
	for ; kills < 50 && len(left) == 0; kills++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), writerEnv+"="+path)
		first, _ := testutil.Start(t, cmd)
		require.Equal(t, "writing", first)
		time.Sleep(time.Duration(1+rand.IntN(20)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		cmd.Wait()
		for _, name := range filesIn(t, dir) {
			if name != "bindings.json" && name != "bindings.json.lock" {
				left = append(left, name)
			}
		}
	}
	require.NotEmpty(t, left, "no kill in %d left a temporary file behind", kills)
	t.Logf("kill %d left %v behind", kills, left)

	logs := &testutil.Buffer{}
	s, err := registry.OpenFileStore(path, registry.FileOptions{Logger: logTo(logs)})
	require.NoError(t, err, "the file is intact")
	defer s.Close()
	all, err := s.List(ctxT(t))
	require.NoError(t, err)
	t.Logf("%d bindings in the file (the state before the write that was cut)", len(all))
	assert.ElementsMatch(t, []string{"bindings.json", "bindings.json.lock"}, filesIn(t, dir), "the temporary file is gone")
	assert.Contains(t, logs.String(), "removed a temporary file left by a registry killed while writing")
	assert.Contains(t, logs.String(), left[0])
}

// Open removes only this store's own temporary files: not another
// store's, not a lookalike, not a directory, and it only reports what
// may be an older registry's.
func TestFileStoreRemovesOnlyItsOwnTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bindings.json")
	plant := func(name string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(`{"version":2,"bind`), 0o600))
	}
	ours := "bindings.json.objrmi-tmp-0123456789abcdef" // as a kill during a write leaves it
	plant(ours)
	foreign := []string{
		"other.json.objrmi-tmp-0123456789abcdef",     // another store's, in the same directory
		"bindings.json.objrmi-tmp-0123456789abcdeg",  // not hex
		"bindings.json.objrmi-tmp-0123456789abcdef0", // too long
		"bindings.json.objrmi-tmp-0123456789ABCDEF",  // not this store's spelling
		"xbindings.json.objrmi-tmp-0123456789abcdef", // another base name
		"bindings.json.20240101.tmp",                 // perhaps an older registry's: reported
		"bindings.json.backup",
	}
	for _, name := range foreign {
		plant(name)
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "bindings.json.objrmi-tmp-fedcba9876543210"), 0o700))
	foreign = append(foreign, "bindings.json.objrmi-tmp-fedcba9876543210")

	logs := &testutil.Buffer{}
	s, err := registry.OpenFileStore(path, registry.FileOptions{Logger: logTo(logs)})
	require.NoError(t, err)
	defer s.Close()
	got := filesIn(t, dir)
	assert.NotContains(t, got, ours)
	for _, name := range foreign {
		assert.Contains(t, got, name, "someone else's file")
	}
	assert.Contains(t, logs.String(), "bindings.json.20240101.tmp")
	assert.Contains(t, logs.String(), "an older objrmi registry left behind")
}

// A registry whose store's directory is read-only serves lookups and
// list, and refuses changes with ErrReadOnly, which says so and names no
// file of the server's.
func TestReadOnlyStoreServesLookups(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	require.NoError(t, os.Mkdir(dir, 0o755))
	path := filepath.Join(dir, "bindings.json")
	owner, ref, _ := exportCalc(t, remote.Options{Lease: shortLease})
	_, other, _ := exportCalc(t, remote.Options{})

	// The file was written elsewhere, and deployed to a read-only
	// directory without a lock file.
	s := openStore(t, path)
	require.NoError(t, s.Create(ctxT(t), registry.Binding{Name: "calc", Ref: ref, Bound: time.Now()}))
	require.NoError(t, s.Close())
	require.NoError(t, os.Remove(path+".lock"))
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	testutil.MakeUnwritable(t, dir)

	storeLogs := &testutil.Buffer{}
	s, err = registry.OpenFileStore(path, registry.FileOptions{Logger: logTo(storeLogs)})
	require.NoError(t, err, "a read-only store opens")
	t.Cleanup(func() { s.Close() })
	assert.True(t, s.ReadOnly())
	assert.Contains(t, storeLogs.String(), "file store is read-only")
	srv, logs := startRegistry(t, registry.Options{Store: s}, remote.Options{Lease: shortLease})
	assert.Contains(t, logs.String(), "the store is read-only")

	c := dial(t, owner, srv.URL())
	calc, err := registry.LookupIn[testsvc.Calculator](ctxT(t), c, "calc")
	require.NoError(t, err, "lookup works")
	sum, err := calc.Add(ctxT(t), 1, 2)
	require.NoError(t, err)
	assert.Equal(t, int64(3), sum)
	names, err := c.List(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"calc"}, names)

	for name, change := range map[string]func() error{
		"bind":   func() error { return c.Bind(ctxT(t), "other", other) },
		"rebind": func() error { return c.Rebind(ctxT(t), "calc", other) },
		"unbind": func() error { return c.Unbind(ctxT(t), "calc") },
	} {
		err := change()
		require.ErrorIs(t, err, registry.ErrReadOnly, name)
		assert.ErrorContains(t, err, "read-only", name)
		assert.NotContains(t, err.Error(), dir, name)
		t.Logf("%s: %v", name, err)
	}
	_, _, err = s.Put(ctxT(t), registry.Binding{Name: "direct", Ref: other})
	assert.ErrorIs(t, err, registry.ErrReadOnly, "in-process, the store says it too")
	names, err = c.List(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"calc"}, names, "nothing changed")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	assert.Equal(t, []string{"bindings.json"}, filesIn(t, dir))
}

// A read-only directory with no bindings file in it is a clear error:
// there is nothing to serve and no way to make it.
func TestReadOnlyStoreWithoutAFileIsAnError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	require.NoError(t, os.Mkdir(dir, 0o755))
	testutil.MakeUnwritable(t, dir)
	_, err := registry.OpenFileStore(filepath.Join(dir, "bindings.json"), registry.FileOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.ErrorContains(t, err, "directory is read-only")
}

// A store error that reaches a remote caller is ErrStore, with the
// operation and the name, and none of the server's paths; the registry's
// log has the cause, path and all.
func TestStoreErrorsDoNotShowServerPathsToCallers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secret-dir")
	require.NoError(t, os.Mkdir(dir, 0o755))
	s := openStore(t, filepath.Join(dir, "bindings.json"))
	t.Cleanup(func() { s.Close() })
	srv, logs := startRegistry(t, registry.Options{Store: s}, remote.Options{})
	owner, ref, _ := exportCalc(t, remote.Options{})
	c := dial(t, owner, srv.URL())
	require.NoError(t, c.Bind(ctxT(t), "calc", ref))

	require.NoError(t, os.RemoveAll(dir)) // every write now fails
	for name, change := range map[string]func() error{
		"rebind": func() error { return c.Rebind(ctxT(t), "calc", ref) },
		"unbind": func() error { return c.Unbind(ctxT(t), "calc") },
		"bind":   func() error { return c.Bind(ctxT(t), "calc2", ref) },
	} {
		err := change()
		require.Error(t, err, name)
		t.Logf("%s: %v", name, err)
		assert.ErrorIs(t, err, registry.ErrStore, name)
		assert.NotContains(t, err.Error(), dir, name)
		assert.NotContains(t, err.Error(), "secret-dir", name)
		assert.Contains(t, err.Error(), name+` "calc`, "%s: it says which change failed", name)
		assert.Contains(t, err.Error(), "the registry's log has the cause", name)
	}
	assert.Contains(t, logs.String(), "secret-dir", "the log keeps the cause")
	names, err := c.List(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"calc"}, names)
}

// One binding the file store cannot use is skipped, with a log line that
// says which and why; the others are served, and the file as it was is
// kept beside it for the operator.
func TestFileStoreSkipsABadBindingAndKeepsTheRest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bindings.json")
	const rt = `"01020304-0506-0708-090a-0b0c0d0e0f10"`
	entry := func(name, ref string) string {
		return fmt.Sprintf(`{"name": %q, "ref": %s, "bound": "2026-01-02T03:04:05Z"}`, name, ref)
	}
	good := func(obj int) string {
		return fmt.Sprintf(`{"Runtime": %s, "Endpoint": "127.0.0.1:7099", "Object": %d, "Iface": "Calculator", "TLS": true}`, rt, obj)
	}
	file := `{"version": 2, "bindings": [` + strings.Join([]string{
		entry("a", good(1024)),
		entry("bad name", good(1025)),
		entry("b", good(1026)),
		entry("a", good(1027)),
		entry("c", `{"Runtime": "not-a-uuid", "Endpoint": "127.0.0.1:7099", "Object": 1028, "Iface": "Calculator"}`),
		entry("d", `{"Runtime": `+rt+`, "Endpoint": "127.0.0.1:7099", "Object": 1029, "Iface": "Calculator", "Future": 7}`),
		entry("e", `{"Runtime": `+rt+`, "Endpoint": "", "Object": 1030, "Iface": "Calculator"}`),
		entry("f", good(1031)),
	}, ",\n") + `]}`
	require.NoError(t, os.WriteFile(path, []byte(file), 0o600))

	logs := &testutil.Buffer{}
	s, err := registry.OpenFileStore(path, registry.FileOptions{Logger: logTo(logs)})
	require.NoError(t, err, "one bad binding does not refuse the file")
	defer s.Close()
	all, err := s.List(ctxT(t))
	require.NoError(t, err)
	var names []string
	for _, b := range all {
		names = append(names, b.Name)
		assert.True(t, b.Ref.TLS)
	}
	assert.Equal(t, []string{"a", "b", "f"}, names)
	a, _ := s.Get(ctxT(t), "a")
	assert.Equal(t, uint64(1024), a.Ref.Object, "the first of two bindings of a name is kept")

	t.Logf("log:\n%s", logs)
	for _, want := range []string{
		`entry=1 name="bad name" why="objrmi registry: bad name: \"bad name\": forbidden character ' '`,
		`entry=3 name=a why="the name is bound again earlier in the file; the first is kept"`,
		`entry=4 name=c why=`,
		`entry=5 name=d why="a field this objrmi does not know`,
		`entry=6 name=e why="objrmi registry: bad reference`,
	} {
		assert.Contains(t, logs.String(), want)
	}
	assert.Equal(t, 5, strings.Count(logs.String(), "skipped a binding it cannot use"))

	var kept string
	for _, name := range filesIn(t, dir) {
		if strings.HasPrefix(name, "bindings.json.skipped-") {
			kept = name
		}
	}
	require.NotEmpty(t, kept, "the file as it was is kept: %v", filesIn(t, dir))
	data, err := os.ReadFile(filepath.Join(dir, kept))
	require.NoError(t, err)
	assert.Equal(t, file, string(data))
	assert.Contains(t, logs.String(), "original="+filepath.Join(dir, kept))

	// A change rewrites the file without them; it opens cleanly again.
	require.NoError(t, s.Create(ctxT(t), registry.Binding{Name: "g", Ref: a.Ref}))
	require.NoError(t, s.Close())
	logs2 := &testutil.Buffer{}
	s2, err := registry.OpenFileStore(path, registry.FileOptions{Logger: logTo(logs2)})
	require.NoError(t, err)
	defer s2.Close()
	all, _ = s2.List(ctxT(t))
	assert.Len(t, all, 4)
	assert.NotContains(t, logs2.String(), "skipped")
}

// A file of version 1, as objrmi wrote it before, is still read.
func TestFileStoreReadsVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bindings.json")
	v1 := `{
  "version": 1,
  "bindings": [
    {"name": "calc", "runtime": "01020304-0506-0708-090a-0b0c0d0e0f10", "endpoint": "127.0.0.1:7099",
     "object": 1024, "interface": "Calculator", "bound": "2026-01-02T03:04:05Z"}
  ]
}`
	require.NoError(t, os.WriteFile(path, []byte(v1), 0o600))
	s := openStore(t, path)
	b, err := s.Get(ctxT(t), "calc")
	require.NoError(t, err)
	assert.Equal(t, remote.Ref{Runtime: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		Endpoint: "127.0.0.1:7099", Object: 1024, Iface: "Calculator"}, b.Ref)
	assert.Equal(t, "2026-01-02T03:04:05Z", b.Bound.UTC().Format(time.RFC3339))
	require.NoError(t, s.Create(ctxT(t), registry.Binding{Name: "more", Ref: b.Ref}))
	require.NoError(t, s.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"version": 2`, "the next change writes version 2")
	s = openStore(t, path)
	defer s.Close()
	all, _ := s.List(ctxT(t))
	assert.Len(t, all, 2)
}
