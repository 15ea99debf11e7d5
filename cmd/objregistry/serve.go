package main

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

func serve(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	listen := fs.String("listen", "127.0.0.1:1099", "`address` to accept connections on (\":1099\" for every interface)")
	store := fs.String("store", "memory", "where bindings live: \"memory\", or \"file:PATH\" to survive restarts")
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
	st, err := openStore(*store, log)
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

func openStore(spec string, log *slog.Logger) (registry.Store, error) {
	switch {
	case spec == "memory":
		return registry.NewMemoryStore(), nil
	case strings.HasPrefix(spec, "file:") && len(spec) > len("file:"):
		return registry.OpenFileStore(strings.TrimPrefix(spec, "file:"), registry.FileOptions{Logger: log})
	}
	return nil, fmt.Errorf("--store %q: want \"memory\" or \"file:PATH\": %w", spec, errUsage)
}
