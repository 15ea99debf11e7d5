package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

func serve(fs *flag.FlagSet, args []string, stdout, stderr io.Writer, schemes []Scheme) error {
	listen := fs.String("listen", "127.0.0.1:1099", "`address` to accept connections on (\":1099\" for every interface)")
	storeHelp := "where bindings live: \"memory\", or \"file:PATH\" to survive restarts"
	for _, sc := range schemes {
		storeHelp += ", or \"" + sc.Usage + "\""
	}
	store := fs.String("store", "memory", storeHelp)
	level := fs.String("log-level", "info", "least `level` logged to stderr: debug, info, warn or error")
	lease := durationFlag(fs, "lease", 30*time.Second, "`duration` of the leases this registry grants, and assumes for owners that never granted it one")
	tlsConfig := tlsFlags(fs)
	obs := observeFlags(fs) // observe.go
	var binders []string
	fs.Func("binder", "a `principal` (client certificate name) that may bind from other hosts; repeatable", func(name string) error {
		binders = append(binders, name)
		return nil
	})
	if _, err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	tc, err := tlsConfig(true)
	if err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error: %w", *level, errUsage)
	}
	if *lease <= 0 {
		return fmt.Errorf("--lease %s: must be positive: %w", *lease, errUsage)
	}
	// Signals are caught before "serving" is printed: a supervisor may
	// stop the daemon the moment it reports ready.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	st, err := openStore(ctx, *store, log, schemes)
	if err != nil {
		return err
	}
	defer st.Close()

	rt, err := remote.NewRuntime(remote.Options{Listen: *listen, Lease: *lease, Logger: log, TLS: tc, Observers: obs.observers()})
	if err != nil {
		return err
	}
	defer rt.Close()
	stopObserving, err := obs.start(rt, log)
	if err != nil {
		return err
	}
	defer stopObserving()
	srv, err := registry.Serve(rt, registry.Options{Store: st, Logger: log, Access: registry.LocalOr(binders...)})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "objregistry: serving %s\n", srv.URL())
	log.Info("objregistry: serving", "url", srv.URL(), "store", *store, "lease", *lease)
	<-ctx.Done()
	log.Info("objregistry: shutting down", "signal", context.Cause(ctx))
	return nil
}

func openStore(ctx context.Context, spec string, log *slog.Logger, schemes []Scheme) (registry.Store, error) {
	switch {
	case spec == "memory":
		return registry.NewMemoryStore(), nil
	case strings.HasPrefix(spec, "file:") && len(spec) > len("file:"):
		return registry.OpenFileStore(strings.TrimPrefix(spec, "file:"), registry.FileOptions{Logger: log})
	}
	want := `"memory" or "file:PATH"`
	for _, sc := range schemes {
		if strings.HasPrefix(spec, sc.Prefix) {
			return sc.Open(ctx, spec, log)
		}
		want += ` or "` + sc.Usage + `"`
	}
	if strings.HasPrefix(spec, "etcd://") && len(schemes) == 0 {
		return nil, fmt.Errorf("--store %q: this objregistry has no etcd support: run the one of module github.com/objrmi/objrmi/etcdstore (in the repository: cd etcdstore && go run ./cmd/objregistry): %w", spec, errUsage)
	}
	return nil, fmt.Errorf("--store %q: want %s: %w", spec, want, errUsage)
}
