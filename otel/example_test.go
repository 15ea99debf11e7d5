package otelobjrmi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	otelobjrmi "github.com/objrmi/objrmi/otel"
	"github.com/objrmi/objrmi/remote"
)

// A runtime traced and measured with the OpenTelemetry SDK, its metrics
// scraped through the Prometheus exporter.
func ExampleNew() {
	reg := prometheus.NewRegistry()
	exp, _ := otelprom.New(otelprom.WithRegisterer(reg))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	defer mp.Shutdown(context.Background())
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())

	o, _ := otelobjrmi.New(otelobjrmi.WithMeterProvider(mp), otelobjrmi.WithTracerProvider(tp))
	rt, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{o}})
	defer rt.Close()
	_, _ = remote.Export[Hop](rt, hop{rt}, remote.WithID(hopID))
	client, _ := remote.NewRuntime(remote.Options{Observers: []remote.Observer{o}})
	defer client.Close()
	_, _ = remote.Dynamic(client, remote.WellKnown(rt.Endpoint(), hopID, "Hop")).Call(context.Background(), "Hop", "")

	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if strings.HasPrefix(line, "# TYPE rpc_") {
			fmt.Print(line)
		}
	}
	// Output:
	// # TYPE rpc_client_call_duration_seconds histogram
	// # TYPE rpc_server_call_duration_seconds histogram
}

// Instrument adds the runtime's own gauges and counters.
func ExampleObserver_Instrument() {
	reg := prometheus.NewRegistry()
	exp, _ := otelprom.New(otelprom.WithRegisterer(reg))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	defer mp.Shutdown(context.Background())
	o, _ := otelobjrmi.New(otelobjrmi.WithMeterProvider(mp))
	rt, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{o}})
	defer rt.Close()
	unregister, _ := o.Instrument(rt)
	defer unregister()
	_, _ = remote.Export[Hop](rt, hop{rt})

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if strings.HasPrefix(line, "objrmi_exports{") {
			fmt.Println(line[:strings.Index(line, "{")], line[strings.LastIndex(line, " ")+1:len(line)-1])
		}
	}
	// Output: objrmi_exports 1
}
