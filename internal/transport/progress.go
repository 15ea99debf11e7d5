package transport

// progressChunk is how much of one frame must arrive to renew the read
// deadline. The reader gives each frame HeartbeatTimeout, and every
// progressChunk of it that arrives buys another HeartbeatTimeout: a large
// frame over a slow but steady link keeps its connection (as the writer's
// chunked deadlines let the sender keep going), while a peer that drips
// bytes, slower than progressChunk per HeartbeatTimeout, is still cut.
const progressChunk = 32 << 10

// progressReader is the reader's view of the socket: it renews the read
// deadline as a frame's bytes arrive. Only the reader goroutine uses it.
type progressReader struct {
	c    *Conn
	read int // bytes since the deadline was last renewed
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.c.rd.Read(b)
	if p.read += n; p.read >= progressChunk {
		p.read = 0
		p.c.readDeadline.extend(p.c.nc.SetReadDeadline, p.c.cfg.HeartbeatTimeout)
	}
	return n, err
}
