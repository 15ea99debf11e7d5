package main

import (
	"bufio"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/registry"
)

// logURL waits for the daemon to log msg, and returns the url it gives.
func logURL(t *testing.T, d *daemon, msg string) string {
	t.Helper()
	re := regexp.MustCompile(`msg="` + regexp.QuoteMeta(msg) + `" url=(\S+)`)
	var url string
	require.Eventually(t, func() bool {
		m := re.FindStringSubmatch(d.logs.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "the daemon did not log %q:\n%s", msg, d.logs)
	return url
}

func httpGet(t *testing.T, url string) (string, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b), resp.Header.Get("Content-Type")
}

// promSamples parses a Prometheus text exposition into "name{labels}" ->
// value, checking each line is a comment (HELP or TYPE) or a sample of
// a metric whose TYPE came before.
func promSamples(t *testing.T, text string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	typed := map[string]bool{}
	sample := regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$`)
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) >= 4 && f[0] == "#" {
			require.Contains(t, []string{"HELP", "TYPE"}, f[1], line)
			if f[1] == "TYPE" {
				typed[f[2]] = true
			}
			continue
		}
		m := sample.FindStringSubmatch(line)
		require.NotNil(t, m, "not a sample: %q", line)
		base := regexp.MustCompile(`_(bucket|sum|count)$`).ReplaceAllString(m[1], "")
		require.True(t, typed[m[1]] || typed[base], "no TYPE for %q", line)
		v, err := strconv.ParseFloat(m[3], 64)
		require.NoError(t, err, line)
		out[m[1]+m[2]] = v
	}
	return out
}

// The daemon's /metrics, scraped over HTTP from a real objregistry
// serve, parses as the Prometheus text format, and its call counts and
// DGC gauges match what was done to it; the debug page and /healthz sit
// beside it.
func TestServeMetricsAndDebugPage(t *testing.T) {
	d := serveRegistry(t, "--metrics", "127.0.0.1:0", "--debug", "127.0.0.1:0")
	metrics := logURL(t, d, "objregistry: serving metrics")
	debug := logURL(t, d, "objregistry: serving the debug page")
	_, serverID := startServer(t, d.url, "calc") // one Bind; the registry then holds the object
	c, err := registry.Dial(ctxT(t), newRuntime(t), d.url)
	require.NoError(t, err)
	for range 3 {
		_, err := c.Lookup(ctxT(t), "calc")
		require.NoError(t, err)
	}
	_, err = c.Lookup(ctxT(t), "nothing")
	require.ErrorIs(t, err, registry.ErrNotBound)

	text, ct := httpGet(t, metrics)
	assert.Contains(t, ct, "version=0.0.4")
	s := promSamples(t, text)
	const lbl = `{rpc_system_name="objrmi",rpc_method="Registry/%s",rpc_response_status_code="%s"}`
	count := func(method, status string) float64 {
		return s["rpc_server_call_duration_seconds_count"+strings.Replace(strings.Replace(lbl, "%s", method, 1), "%s", status, 1)]
	}
	assert.Equal(t, 3.0, count("Lookup", "OK"), "\n%s", text)
	assert.Equal(t, 1.0, count("Lookup", "APPLICATION"), "a name not bound")
	assert.Equal(t, 1.0, count("Bind", "OK"))
	assert.Equal(t, 2.0, s["objrmi_exports"], "the registry and its groups service")
	assert.Equal(t, 1.0, s["objrmi_refs_held"], "the registry holds the bound object")
	assert.Equal(t, 2.0, s["objrmi_connections"], "the server's and the test's")
	assert.Equal(t, 0.0, s["objrmi_calls_orphaned_total"])

	page, ct := httpGet(t, debug+"?format=json")
	assert.Equal(t, "application/json", ct)
	assert.Contains(t, page, serverID, "the held reference's owner")
	html, _ := httpGet(t, debug)
	assert.Contains(t, html, "Registry.Lookup")
	ok, _ := httpGet(t, strings.TrimSuffix(debug, "/debug/objrmi")+"/healthz")
	assert.Equal(t, "ok\n", ok)
}
