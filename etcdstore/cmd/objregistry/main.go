// Command objregistry is objrmi's objregistry command (see
// github.com/objrmi/objrmi/cmd/objregistry) with one more store for
// serve: etcd, so that several registries serve one namespace.
//
//	objregistry serve --store etcd://host:port[,host:port...]/prefix[?ttl=10s&stale=30s]
//
// The query may set ttl (each owner's etcd lease), timeout (of each etcd
// request), probe, max-age and stale (serve lookups from a cache up to
// this old when etcd cannot be reached); see package etcdstore.
package main

import (
	"context"
	"log/slog"
	"os"

	objregistry "github.com/objrmi/objrmi/internal/cli"
	"github.com/objrmi/objrmi/registry"

	"github.com/objrmi/objrmi/etcdstore"
)

func main() {
	os.Exit(objregistry.Run(os.Args[1:], os.Stdout, os.Stderr, Etcd))
}

// Etcd is the etcd:// store scheme.
var Etcd = objregistry.Scheme{
	Prefix: "etcd://",
	Usage:  "etcd://HOST:PORT[,HOST:PORT...]/PREFIX",
	Open: func(ctx context.Context, spec string, log *slog.Logger) (registry.Store, error) {
		opts, err := etcdstore.ParseURL(spec)
		if err != nil {
			return nil, err
		}
		opts.Logger = log
		return etcdstore.Open(ctx, opts)
	},
}
