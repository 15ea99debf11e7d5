package observe_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/observe"
	"github.com/objrmi/objrmi/remote"
)

const calcID = 100

// live is a server runtime with a Calls observer exporting a Calculator,
// and a client that holds a counter of it and has one call in flight.
type live struct {
	srv, cli *remote.Runtime
	calls    *observe.Calls
	counter  remote.Ref
	stop     func() // ends the call in flight
}

func newLive(t *testing.T) *live {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	calls := observe.NewCalls()
	srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{calls}})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	_, err = remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	cli, err := remote.NewRuntime(remote.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	calc, err := remote.Dial[testsvc.Calculator](ctx, cli, srv.Endpoint(), calcID)
	require.NoError(t, err)
	for range 3 {
		_, err = calc.Add(ctx, 1, 2)
		require.NoError(t, err)
	}
	_, err = calc.Div(ctx, 1, 0)
	require.ErrorIs(t, err, objerr.ErrApplication)
	k, err := calc.NewCounter(ctx, 7)
	require.NoError(t, err)
	ref, _ := remote.RefOf(k)
	require.Eventually(t, func() bool { return srv.Stats().Holders == 1 }, 10*time.Second, 5*time.Millisecond)

	waitCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		calc.Wait(waitCtx, time.Minute)
	}()
	require.Eventually(t, func() bool { return srv.Stats().Serving == 1 }, 10*time.Second, 5*time.Millisecond)
	l := &live{srv: srv, cli: cli, calls: calls, counter: ref, stop: func() { stop(); <-done }}
	t.Cleanup(l.stop)
	return l
}

func get(t *testing.T, url string) (string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b), resp.Header
}

// The page shows the export and its holder with the lease expiry, the
// connection, the call in flight and the calls by method; its JSON says
// the same.
func TestDebugPage(t *testing.T) {
	l := newLive(t)
	hs := httptest.NewServer(observe.Handler(l.srv, l.calls))
	defer hs.Close()

	html, h := get(t, hs.URL)
	assert.Contains(t, h.Get("Content-Type"), "text/html")
	assert.Contains(t, html, l.srv.ID().String())
	assert.Contains(t, html, `<code class="holder">`+l.cli.ID().String()+`</code>`, "the counter's holder")
	assert.Contains(t, html, "Calculator.Wait", "the call in flight")
	assert.Contains(t, html, "Calculator.Add")
	assert.NotContains(t, html, "<script")

	js, h := get(t, hs.URL+"?format=json")
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	var p struct {
		Runtime string
		Stats   remote.Stats
		Exports []struct {
			Object  uint64
			Holders []struct {
				Runtime string
				Expires time.Time `json:"lease_expires"`
			}
		}
		Connections []struct{ Peer, Principal string }
		InFlight    []struct{ Method, Peer string } `json:"in_flight"`
		Methods     []struct {
			Side, Method, Status string
			Count                uint64
		}
		Events []struct{ Kind, Peer string }
	}
	require.NoError(t, json.Unmarshal([]byte(js), &p))
	assert.Equal(t, l.srv.ID().String(), p.Runtime)
	assert.Equal(t, 2, p.Stats.Exports)
	var held bool
	for _, e := range p.Exports {
		if e.Object == l.counter.Object {
			require.Len(t, e.Holders, 1)
			assert.Equal(t, l.cli.ID().String(), e.Holders[0].Runtime)
			assert.True(t, e.Holders[0].Expires.After(time.Now()), "a lease in the future")
			held = true
		}
	}
	assert.True(t, held, "the counter is listed")
	require.Len(t, p.Connections, 1)
	assert.Equal(t, l.cli.ID().String(), p.Connections[0].Peer)
	assert.Equal(t, "anonymous", p.Connections[0].Principal)
	require.Len(t, p.InFlight, 1)
	assert.Equal(t, "Wait", p.InFlight[0].Method)
	counts := map[string]uint64{}
	for _, m := range p.Methods {
		counts[m.Side+" "+m.Method+" "+m.Status] = m.Count
	}
	assert.Equal(t, uint64(3), counts["server Add OK"])
	assert.Equal(t, uint64(1), counts["server Div APPLICATION"])
	require.NotEmpty(t, p.Events)
	assert.Equal(t, "lease granted", p.Events[0].Kind)

	resp, err := http.Post(hs.URL, "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

// A page without a Calls observer still shows the runtime's state, and
// says the calls are not observed.
func TestDebugPageWithoutCalls(t *testing.T) {
	rt, err := remote.NewRuntime(remote.Options{})
	require.NoError(t, err)
	defer rt.Close()
	rec := httptest.NewRecorder()
	observe.Handler(rt, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/debug/objrmi", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "Not observed")
	assert.Contains(t, rec.Body.String(), "(no listener)")
}

// sample is one line of a Prometheus text exposition.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseProm parses the Prometheus text format, strictly enough to catch
// a malformed line: comments are HELP or TYPE, every sample has a TYPE.
func parseProm(t *testing.T, text string) []sample {
	t.Helper()
	var out []sample
	typed := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "# ") {
			f := strings.SplitN(line, " ", 4)
			require.Len(t, f, 4, line)
			require.Contains(t, []string{"HELP", "TYPE"}, f[1], line)
			if f[1] == "TYPE" {
				require.Contains(t, []string{"counter", "gauge", "histogram"}, f[3], line)
				typed[f[2]] = f[3]
			}
			continue
		}
		s := sample{labels: map[string]string{}}
		rest := line
		if i := strings.IndexByte(line, '{'); i >= 0 {
			s.name = line[:i]
			j := strings.LastIndexByte(line, '}')
			require.Greater(t, j, i, line)
			for _, kv := range strings.Split(line[i+1:j], `",`) {
				k, v, ok := strings.Cut(kv, `="`)
				require.True(t, ok, line)
				s.labels[k] = strings.TrimSuffix(v, `"`)
			}
			rest = line[j+1:]
		} else {
			s.name, rest, _ = strings.Cut(line, " ")
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		require.NoError(t, err, line)
		s.value = v
		base := s.name
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(s.name, suf); ok && typed[b] == "histogram" {
				base = b
			}
		}
		require.Contains(t, typed, base, "a sample without a TYPE: %s", line)
		out = append(out, s)
	}
	return out
}

func find(ss []sample, name string, labels map[string]string) (float64, bool) {
next:
	for _, s := range ss {
		if s.name != name {
			continue
		}
		for k, v := range labels {
			if s.labels[k] != v {
				continue next
			}
		}
		return s.value, true
	}
	return 0, false
}

// The exposition parses, and its counts match what the test did.
func TestMetricsExposition(t *testing.T) {
	l := newLive(t)
	hs := httptest.NewServer(observe.Metrics(l.srv, l.calls))
	defer hs.Close()
	text, h := get(t, hs.URL)
	assert.Contains(t, h.Get("Content-Type"), "version=0.0.4")
	ss := parseProm(t, text)
	for name, want := range map[string]float64{"objrmi_exports": 2, "objrmi_dgc_holders": 1, "objrmi_connections": 1,
		"objrmi_server_calls_in_flight": 1, "objrmi_dgc_leases_granted_total": 1} {
		v, ok := find(ss, name, nil)
		assert.True(t, ok, name)
		assert.Equal(t, want, v, name)
	}
	add := map[string]string{"rpc_system_name": "objrmi", "rpc_method": "Calculator/Add", "rpc_response_status_code": "OK"}
	v, ok := find(ss, "rpc_server_call_duration_seconds_count", add)
	require.True(t, ok)
	assert.Equal(t, 3.0, v)
	inf := map[string]string{"rpc_method": "Calculator/Add", "le": "+Inf"}
	v, _ = find(ss, "rpc_server_call_duration_seconds_bucket", inf)
	assert.Equal(t, 3.0, v)
	v, ok = find(ss, "rpc_server_call_duration_seconds_count", map[string]string{"rpc_method": "Calculator/Div", "rpc_response_status_code": "APPLICATION"})
	require.True(t, ok)
	assert.Equal(t, 1.0, v)
	_, ok = find(ss, "rpc_client_call_duration_seconds_count", nil)
	assert.False(t, ok, "the server runtime made no calls")
}

func TestStatus(t *testing.T) {
	assert.Equal(t, "OK", observe.Status(nil))
	assert.Equal(t, "ACCESS_DENIED", observe.Status(&objerr.Error{Code: objerr.CodeAccessDenied}))
	assert.Equal(t, "UNKNOWN", observe.Status(errors.New("plain")))
	assert.Equal(t, "CODE_99", observe.StatusOf(99))
}
