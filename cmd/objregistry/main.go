// Command objregistry runs objrmi's naming registry on its own, and
// inspects and changes a running one.
//
//	objregistry serve  [flags]        run a registry until SIGINT or SIGTERM
//	objregistry list   [flags] URL    the names bound in a registry
//	objregistry lookup [flags] URL/NAME  where a name points, and who holds it
//	objregistry unbind [flags] URL/NAME  remove a binding
//
// URLs are objrmi://host[:port], the port defaulting to 1099. Every
// command takes --help. Errors are one line on stderr, with exit status 1
// (2 for a usage error). Bindings live in memory or in a file (serve
// --store); the objregistry of module github.com/objrmi/objrmi/etcdstore
// is the same command, which can also keep them in etcd.
package main

import (
	"os"

	objregistry "github.com/objrmi/objrmi/internal/cli"
)

func main() {
	os.Exit(objregistry.Run(os.Args[1:], os.Stdout, os.Stderr))
}
