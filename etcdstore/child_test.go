package etcdstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// The environment that turns the test binary into an owner process.
const (
	childEnv = "ETCDSTORE_TEST_CHILD" // "owner" or "member"
	urlEnv   = "ETCDSTORE_TEST_URL"   // the registry to bind in
	nameEnv  = "ETCDSTORE_TEST_NAME"  // the name to keep bound, or the group to join
)

// Durations of the process tests: short, with margins in the waits.
const (
	ownerLease   = time.Second     // the owners' objrmi lease
	storeTTL     = 2 * time.Second // each owner's etcd lease
	keepInterval = 300 * time.Millisecond
)

// bin is the etcd module's objregistry, built by TestMain.
var bin string

func child() bool {
	switch os.Getenv(childEnv) {
	case "owner":
		childOwner(os.Getenv(urlEnv), os.Getenv(nameEnv))
		return true
	case "member":
		childMember(os.Getenv(urlEnv), os.Getenv(nameEnv), os.Getenv(memberEnv))
		return true
	}
	return false
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "etcdstore-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "objregistry")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, "./cmd/objregistry")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building objregistry: %v\n%s", err, out)
		return 1
	}
	code := m.Run()
	if code == 0 && goleakFind() != nil {
		return 1
	}
	return code
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "owner:", err)
	os.Exit(2)
}

// childOwner exports a Calc, binds it as name in the registry at url,
// prints its runtime id, and keeps it bound (registry.KeepBound) until
// it is killed.
func childOwner(url, name string) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Lease: ownerLease})
	if err != nil {
		fail(err)
	}
	ref, err := remote.Export[testsvc.Calculator](rt, testsvc.NewCalc())
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	c, err := registry.Dial(ctx, rt, url)
	if err != nil {
		fail(err)
	}
	if err := c.Bind(ctx, name, ref); err != nil {
		fail(err)
	}
	cancel()
	fmt.Println(rt.ID())
	registry.KeepBound(context.Background(), c, name, ref, registry.KeepOptions{Interval: keepInterval, Logger: log})
}
