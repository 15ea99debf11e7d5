package etcdstore

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"
)

// Options configures a Store. Endpoints is required; the zero value of
// every other field means its default.
type Options struct {
	// Endpoints are the etcd members' client addresses, "host:port" or
	// "http://host:port".
	Endpoints []string
	// Prefix is where the store's keys live. Default "/objrmi".
	Prefix string
	// LeaseTTL is the TTL of each owner's etcd lease: how long the
	// bindings of an owner that no registry reaches outlive the owner's
	// own objrmi lease. Whole seconds, at least 1; etcd raises it to its
	// minimum (1.5 election timeouts, 2 s with etcd's defaults). Default
	// 10 s.
	LeaseTTL time.Duration
	// Timeout bounds each request to etcd whose context has no earlier
	// deadline. Default 5 s.
	Timeout time.Duration
	// ProbeInterval is how often the cache is proven current with a
	// quorum read. Default 1 s.
	ProbeInterval time.Duration
	// MaxAge is how long after its last proof the cache still answers
	// lookups. Default 3 × ProbeInterval, at least 2 s.
	MaxAge time.Duration
	// StaleLookups, if set, lets lookups and lists be answered from a
	// cache older than MaxAge, up to this age, with a warning in the log
	// for each. Zero: they fail with registry.ErrStoreUnavailable.
	StaleLookups time.Duration
	// Logger receives the store's logs. Default: discarded.
	Logger *slog.Logger
}

func (o *Options) defaults() error {
	if len(o.Endpoints) == 0 {
		return errors.New("etcdstore: no endpoints: give at least one etcd member's host:port")
	}
	if o.Prefix == "" {
		o.Prefix = "/objrmi"
	}
	o.Prefix = "/" + strings.Trim(o.Prefix, "/")
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 10 * time.Second
	}
	if o.LeaseTTL < time.Second {
		o.LeaseTTL = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = time.Second
	}
	if o.MaxAge <= 0 {
		o.MaxAge = max(3*o.ProbeInterval, 2*time.Second)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// ParseURL reads etcd://host:port[,host:port...][/prefix][?query] into
// Options. The query may set ttl, timeout, probe, max-age and stale
// (durations: ttl=10s).
func ParseURL(s string) (Options, error) {
	var o Options
	rest, ok := strings.CutPrefix(s, "etcd://")
	if !ok {
		return o, fmt.Errorf("etcdstore: %q: want etcd://host:port[,host:port...]/prefix", s)
	}
	rest, query, _ := strings.Cut(rest, "?")
	hosts, prefix, _ := strings.Cut(rest, "/")
	for _, h := range strings.Split(hosts, ",") {
		if _, _, err := net.SplitHostPort(h); err != nil {
			return o, fmt.Errorf("etcdstore: %q: member %q: want host:port", s, h)
		}
		o.Endpoints = append(o.Endpoints, h)
	}
	o.Prefix = "/" + prefix
	q, err := url.ParseQuery(query)
	if err != nil {
		return o, fmt.Errorf("etcdstore: %q: %w", s, err)
	}
	fields := map[string]*time.Duration{
		"ttl": &o.LeaseTTL, "timeout": &o.Timeout, "probe": &o.ProbeInterval,
		"max-age": &o.MaxAge, "stale": &o.StaleLookups,
	}
	for k, v := range q {
		d, ok := fields[k]
		if !ok {
			return o, fmt.Errorf("etcdstore: %q: unknown setting %q (ttl, timeout, probe, max-age, stale)", s, k)
		}
		if *d, err = time.ParseDuration(v[len(v)-1]); err != nil || *d < 0 {
			return o, fmt.Errorf("etcdstore: %q: %s=%s: want a duration such as 10s", s, k, v[len(v)-1])
		}
	}
	return o, nil
}
