package registry

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// DefaultPort is the registry port of a URL that names none: Java RMI's.
const DefaultPort = 1099

// Scheme is the scheme of objrmi URLs; SchemeTLS that of a registry
// whose runtime speaks only TLS, as https is to http.
const (
	Scheme    = "objrmi"
	SchemeTLS = "objrmis"
)

// MaxNameLen bounds a binding's name, in bytes.
const MaxNameLen = 255

// ErrBadURL matches every URL that ParseURL refuses.
var ErrBadURL = errors.New("objrmi registry: bad URL")

// URLError says what is wrong with a URL.
type URLError struct {
	URL    string
	Reason string
	Err    error // a finer cause, such as ErrBadName, or nil
}

func (e *URLError) Error() string {
	return fmt.Sprintf("objrmi registry: bad URL %q: %s", e.URL, e.Reason)
}

// Unwrap lets errors.Is see ErrBadURL and the finer cause.
func (e *URLError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrBadURL}
	}
	return []error{ErrBadURL, e.Err}
}

// URL is a parsed objrmi://host:port/name or objrmis://host:port/name.
// Name is empty in the URL of a registry itself.
type URL struct {
	Host string // a host name or an IP address, without brackets
	Port int
	Name string
	TLS  bool // objrmis: dial the registry with TLS
}

// Endpoint is the registry's "host:port".
func (u URL) Endpoint() string { return net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) }

// Registry is the URL of the registry alone, without the name.
func (u URL) Registry() URL { return URL{Host: u.Host, Port: u.Port, TLS: u.TLS} }

func (u URL) String() string {
	scheme := Scheme
	if u.TLS {
		scheme = SchemeTLS
	}
	if u.Name == "" {
		return scheme + "://" + u.Endpoint()
	}
	return scheme + "://" + u.Endpoint() + "/" + u.Name
}

// ParseURL parses objrmi://host[:port][/name], or objrmis:// for a
// registry that speaks TLS. The port defaults to DefaultPort; an IPv6
// host goes in brackets. The name, if any, must pass CheckName. Every
// refusal is a *URLError that matches ErrBadURL.
func ParseURL(s string) (URL, error) {
	bad := func(format string, args ...any) (URL, error) {
		return URL{}, &URLError{URL: s, Reason: fmt.Sprintf(format, args...)}
	}
	scheme, rest, ok := strings.Cut(s, "://")
	switch {
	case !ok:
		return bad("no scheme: want %s://host:port/name", Scheme)
	case !strings.EqualFold(scheme, Scheme) && !strings.EqualFold(scheme, SchemeTLS):
		return bad("scheme %q is not %s or %s", scheme, Scheme, SchemeTLS)
	}
	authority, name, _ := strings.Cut(rest, "/")
	if strings.Contains(authority, "@") {
		return bad("user information is not allowed")
	}
	host, portText, err := splitHostPort(authority)
	if err != nil {
		return bad("%s", err)
	}
	port := DefaultPort
	if portText != "" {
		n, err := strconv.Atoi(portText)
		switch {
		case err != nil || strings.ContainsAny(portText, "+-"):
			return bad("port %q is not a number", portText)
		case n < 1 || n > 65535:
			return bad("port %d is out of range 1-65535", n)
		}
		port = n
	}
	if name != "" {
		if err := CheckName(name); err != nil {
			return URL{}, &URLError{URL: s, Reason: strings.TrimPrefix(err.Error(), ErrBadName.Error()+": "), Err: err}
		}
	}
	return URL{Host: host, Port: port, Name: name, TLS: strings.EqualFold(scheme, SchemeTLS)}, nil
}

// splitHostPort splits an authority into host and port ("" if absent).
func splitHostPort(a string) (host, port string, err error) {
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", "", errors.New("IPv6 host has no closing ']'")
		}
		host, rest := a[1:end], a[end+1:]
		if net.ParseIP(host) == nil || !strings.Contains(host, ":") {
			return "", "", fmt.Errorf("%q in brackets is not an IPv6 address", host)
		}
		if rest == "" {
			return host, "", nil
		}
		if !strings.HasPrefix(rest, ":") {
			return "", "", fmt.Errorf("unexpected %q after the IPv6 host", rest)
		}
		return withPort(host, rest[1:])
	}
	if strings.Count(a, ":") > 1 {
		return "", "", errors.New("an IPv6 host must be in brackets, as in objrmi://[::1]:1099")
	}
	host, port, hasPort := strings.Cut(a, ":")
	if host == "" {
		return "", "", errors.New("empty host")
	}
	for i := range len(host) {
		if c := host[i]; !isAlnum(c) && c != '.' && c != '-' {
			return "", "", fmt.Errorf("forbidden character %q in host %q", c, host)
		}
	}
	if !hasPort {
		return host, "", nil
	}
	return withPort(host, port)
}

func withPort(host, port string) (string, string, error) {
	if port == "" {
		return "", "", errors.New("empty port after ':'")
	}
	return host, port, nil
}

// CheckName reports whether name may be bound: 1 to MaxNameLen bytes of
// letters, digits, '.', '_' and '-', in parts separated by single '/'
// ("billing/calc"), no part "." or "..". Refusals match ErrBadName.
func CheckName(name string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %q: %s", ErrBadName, name, fmt.Sprintf(format, args...))
	}
	switch {
	case name == "":
		return bad("empty name")
	case len(name) > MaxNameLen:
		return bad("%d bytes long, more than %d", len(name), MaxNameLen)
	}
	for i := range len(name) {
		c := name[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' && c != '/' {
			return bad("forbidden character %q at byte %d (allowed: letters, digits, '.', '_', '-', and '/' between parts)", c, i)
		}
	}
	for part := range strings.SplitSeq(name, "/") {
		switch part {
		case "":
			return bad("empty part (a leading, trailing or doubled '/')")
		case ".", "..":
			return bad("part %q is not allowed", part)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
