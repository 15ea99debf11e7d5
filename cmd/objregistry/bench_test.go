package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/remote"
)

// Lookups from this process of a binding in a standalone objregistry
// process, of an object in a third process, over loopback TCP: compare
// with registry's BenchmarkLookupEmbedded.
func BenchmarkLookupStandalone(b *testing.B) {
	d := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--log-level", "warn")
	d.Stderr = os.Stderr
	out, err := d.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		d.Process.Kill()
		d.Wait()
	}()
	buf := make([]byte, 256)
	n, err := out.Read(buf)
	if err != nil {
		b.Fatal(err)
	}
	url := strings.TrimPrefix(strings.TrimSpace(string(buf[:n])), "objregistry: serving ")

	server := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	server.Env = append(os.Environ(), childEnv+"=server", urlEnv+"="+url, nameEnv+"=calc")
	server.Stderr = os.Stderr
	sout, err := server.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := server.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		server.Process.Kill()
		server.Wait()
	}()
	if _, err := sout.Read(buf); err != nil {
		b.Fatal("the server did not bind: ", err)
	}

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	testutil.BenchLookups(b, client, url)
}
