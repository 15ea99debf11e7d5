package transport

import "crypto/tls"

// TLS reports whether the connection runs over TLS.
func (c *Conn) TLS() bool {
	_, ok := c.nc.(*tls.Conn)
	return ok
}
