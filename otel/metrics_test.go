package otelobjrmi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/objrmi/objrmi/objerr"
	otelobjrmi "github.com/objrmi/objrmi/otel"
	"github.com/objrmi/objrmi/remote"
)

// scrape serves reg as a Prometheus endpoint and scrapes it once.
func scrape(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	hs := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer hs.Close()
	resp, err := http.Get(hs.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// value finds the sample of name whose labels include each of labels
// (written name="value"), in a Prometheus text exposition.
func value(t *testing.T, text, name string, labels ...string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\{([^}]*)\} (\S+)$`)
next:
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		for _, l := range labels {
			if !regexp.MustCompile(`(^|,)` + regexp.QuoteMeta(l) + `(,|$)`).MatchString(m[1]) {
				continue next
			}
		}
		v, err := strconv.ParseFloat(m[2], 64)
		require.NoError(t, err)
		return v
	}
	t.Fatalf("no %s{%v} in:\n%s", name, labels, text)
	return 0
}

// Through OpenTelemetry's Prometheus exporter: the RPC conventions'
// duration histograms, with buckets fine enough for calls of tens of
// microseconds, and objrmi's own instruments, matching what was done.
func TestMetricsThroughThePrometheusExporter(t *testing.T) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	require.NoError(t, err)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	defer mp.Shutdown(context.Background())
	o, err := otelobjrmi.New(otelobjrmi.WithMeterProvider(mp))
	require.NoError(t, err)

	srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{o}})
	require.NoError(t, err)
	defer srv.Close()
	unregister, err := o.Instrument(srv)
	require.NoError(t, err)
	defer unregister()
	ref, err := remote.Export[Hop](srv, hop{srv}) // a dynamic id: the client holds it
	require.NoError(t, err)
	cli, err := remote.NewRuntime(remote.Options{Observers: []remote.Observer{o}})
	require.NoError(t, err)
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := remote.Dynamic(cli, ref)
	for range 5 {
		_, err = h.Call(ctx, "Hop", "")
		require.NoError(t, err)
	}
	_, err = h.Call(ctx, "Nope")
	require.ErrorIs(t, err, objerr.ErrNoSuchMethod)
	require.Eventually(t, func() bool { return srv.Stats().Holders == 1 }, 10*time.Second, 5*time.Millisecond)

	text := scrape(t, reg)
	ok := []string{`rpc_method="Hop/Hop"`, `rpc_response_status_code="OK"`, `rpc_system_name="objrmi"`, `rpc_system="objrmi"`}
	assert.Equal(t, 5.0, value(t, text, "rpc_server_call_duration_seconds_count", ok...))
	assert.Equal(t, 5.0, value(t, text, "rpc_client_call_duration_seconds_count", ok...))
	assert.Equal(t, 5.0, value(t, text, "rpc_server_call_duration_seconds_bucket", append(ok, `le="+Inf"`)...))
	// The first bucket is 10 µs: a 50 µs call lands between buckets, not
	// in the first of OpenTelemetry's advisory ones (5 ms).
	value(t, text, "rpc_server_call_duration_seconds_bucket", append(ok, `le="1e-05"`)...)
	value(t, text, "rpc_server_call_duration_seconds_bucket", append(ok, `le="5e-05"`)...)
	// A method the server does not have is recorded as _OTHER there.
	assert.Equal(t, 1.0, value(t, text, "rpc_server_call_duration_seconds_count",
		`rpc_method="_OTHER"`, `rpc_response_status_code="NO_SUCH_METHOD"`, `error_type="NO_SUCH_METHOD"`))
	assert.Equal(t, 1.0, value(t, text, "rpc_client_call_duration_seconds_count", `rpc_method="Hop/Nope"`))

	rtLabel := `objrmi_runtime="` + srv.ID().String() + `"`
	assert.Equal(t, 1.0, value(t, text, "objrmi_exports", rtLabel))
	assert.Equal(t, 1.0, value(t, text, "objrmi_dgc_holders", rtLabel))
	assert.Equal(t, 1.0, value(t, text, "objrmi_connections", rtLabel))
	assert.Equal(t, 1.0, value(t, text, "objrmi_dgc_leases_granted_total", rtLabel))
	assert.Equal(t, 0.0, value(t, text, "objrmi_dgc_leases_lapsed_total", rtLabel))
	assert.Equal(t, 0.0, value(t, text, "objrmi_calls_orphaned_total", rtLabel))
}
