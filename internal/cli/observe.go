package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/objrmi/objrmi/observe"
	"github.com/objrmi/objrmi/remote"
)

// serve's --metrics and --debug: the daemon's metrics in the Prometheus
// text format, and its debug page, from package observe. Not through
// OpenTelemetry's Prometheus exporter: the daemon is built from the core
// module, which must not depend on OpenTelemetry (see the README's
// Observability section); observe writes the same metric names the otel
// module's instruments get through that exporter.

// observing holds serve's observability flags.
type observing struct {
	metrics, debug *string
	calls          *observe.Calls
}

func observeFlags(fs *flag.FlagSet) *observing {
	return &observing{
		metrics: fs.String("metrics", "", "serve /metrics (Prometheus text format) at this `address`, such as 127.0.0.1:9099"),
		debug:   fs.String("debug", "", "serve the debug page /debug/objrmi and /healthz at this `address` (it may be the --metrics one)"),
	}
}

// observers is what the runtime's Options.Observers get: a call counter
// if either page is served.
func (o *observing) observers() []remote.Observer {
	if *o.metrics == "" && *o.debug == "" {
		return nil
	}
	o.calls = observe.NewCalls()
	return []remote.Observer{o.calls}
}

// start serves the pages asked for, until stop.
func (o *observing) start(rt *remote.Runtime, log *slog.Logger) (stop func(), err error) {
	muxes := map[string]*http.ServeMux{}
	mux := func(addr string) *http.ServeMux {
		if muxes[addr] == nil {
			muxes[addr] = http.NewServeMux()
		}
		return muxes[addr]
	}
	if *o.metrics != "" {
		mux(*o.metrics).Handle("/metrics", observe.Metrics(rt, o.calls))
	}
	if *o.debug != "" {
		m := mux(*o.debug)
		m.Handle("/debug/objrmi", observe.Handler(rt, o.calls))
		m.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "ok\n")
		})
	}
	var servers []*http.Server
	done := make(chan struct{}, len(muxes))
	stop = func() {
		for _, s := range servers {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			s.Shutdown(ctx)
			cancel()
		}
		for range servers {
			<-done
		}
	}
	for addr, m := range muxes {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			stop()
			return nil, fmt.Errorf("--metrics/--debug %s: %w", addr, err)
		}
		s := &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		servers = append(servers, s)
		url := "http://" + ln.Addr().String()
		if addr == *o.metrics {
			log.Info("objregistry: serving metrics", "url", url+"/metrics")
		}
		if addr == *o.debug {
			log.Info("objregistry: serving the debug page", "url", url+"/debug/objrmi")
		}
		go func() {
			defer func() { done <- struct{}{} }()
			if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Warn("objregistry: http", "addr", ln.Addr().String(), "err", err)
			}
		}()
	}
	return stop, nil
}
