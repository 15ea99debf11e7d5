package etcdstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if child() {
		return
	}
	os.Exit(buildAndRun(m))
}

// leakOptions are the goroutines of etcd's embedded server and client
// libraries that outlive a test by design (process-wide workers).
var leakOptions = []goleak.Option{
	goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"),
	goleak.IgnoreAnyFunction("github.com/golang/glog.(*fileSink).flushDaemon"),
	// Connections between etcd members (its raft transport is net/http)
	// that a stopped member's peers close only when they stop too.
	goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
	goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
	goleak.IgnoreAnyFunction("net/http.(*conn).serve"),
	goleak.IgnoreAnyFunction("net/http.(*connReader).backgroundRead"),
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func goleakFind() error {
	err := goleak.Find(leakOptions...)
	if err != nil {
		os.Stderr.WriteString("goleak: " + err.Error() + "\n")
	}
	return err
}
