package examples_test

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every exported identifier of the public packages is usable from another
// module: no exported function, method, field or alias names a type of
// one of objrmi's internal packages, which another module cannot import.
// It reads `go doc -all`, as a user would.
func TestPublicAPINamesNoInternalType(t *testing.T) {
	internal := regexp.MustCompile(`\b(wire|transport|iface|codec|link|testsvc|testutil)\.[A-Z]\w*`)
	for _, pkg := range []string{"remote", "registry", "stub", "skeleton", "refs", "gc", "objerr"} {
		out, err := exec.Command("go", "doc", "-all", "github.com/objrmi/objrmi/"+pkg).CombinedOutput()
		require.NoError(t, err, "%s", out)
		for line := range strings.Lines(string(out)) {
			if strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "    func") {
				continue // prose of a doc comment
			}
			assert.NotRegexp(t, internal, line, "%s exports a name of an internal package", pkg)
		}
	}
}

// remote.Ref and remote.Principal are structs of objrmi's own, so go doc
// shows their fields (an alias of an internal type shows none).
func TestRefAndPrincipalShowTheirFields(t *testing.T) {
	for sym, fields := range map[string][]string{
		"remote.Ref":       {"Runtime ", "Endpoint ", "Object ", "Iface ", "TLS ", "Key "},
		"remote.Principal": {"Name ", "Via ", "Certificate "},
	} {
		out, err := exec.Command("go", "doc", "github.com/objrmi/objrmi/"+sym).CombinedOutput()
		require.NoError(t, err, "%s", out)
		for _, f := range fields {
			assert.Contains(t, string(out), "\t"+f, "go doc %s", sym)
		}
	}
}
