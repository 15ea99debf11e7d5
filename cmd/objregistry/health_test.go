package main

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/remote"
)

// objregistry health asks a live runtime: exit status 0 while it, or the
// service asked, is serving, 1 when not, when the service is unknown, or
// when nothing answers.
func TestHealthCommand(t *testing.T) {
	rt := testutil.Runtime(t, remote.Options{Listen: "127.0.0.1:0"})
	url := "objrmi://" + rt.Endpoint()

	out, errOut, code := cli(t, "health", url)
	assert.Equal(t, 0, code, errOut)
	assert.Equal(t, "SERVING\n", out)

	rt.SetHealth("payments", remote.NotServing)
	out, _, code = cli(t, "health", "--service", "payments", url)
	assert.Equal(t, 1, code)
	assert.Equal(t, "NOT_SERVING\n", out)
	rt.SetHealth("payments", remote.Serving)
	_, _, code = cli(t, "health", url, "--service", "payments")
	assert.Equal(t, 0, code, "flags after the URL")

	_, errOut, code = cli(t, "health", "--service", "billing", url)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `no service "billing" here`)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err == nil {
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		_, errOut, code = cli(t, "health", "--timeout", "2s", "objrmi://"+addr)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "objregistry health:")
	}

	_, errOut, code = cli(t, "health", url+"/calc")
	assert.Equal(t, 2, code, "a URL that names an object is a usage error")
	assert.Contains(t, errOut, "health asks a runtime")
}
