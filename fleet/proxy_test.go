package fleet

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

// proxy is a TCP proxy on loopback in front of a redis-server: a node
// that talks to Redis through it can be cut off from Redis while the
// other nodes still reach it (cut, then mend), or have one round trip
// held up (stallOnce).
type proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex // guards the fields below
	conns   map[net.Conn]bool
	off     bool
	marker  []byte        // armed by stallOnce: the next request holding it is held up
	hold    time.Duration // for that long
	freeze  bool          // armed by freezeOnce: every other request waits too
	stalled int           // requests held up so far

	gate sync.RWMutex // held by a frozen request; the others wait for it
}

// startProxy starts a proxy to the Redis at target; it stops when the
// test ends.
func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	return p
}

// URL is the redis:// URL of the proxy.
func (p *proxy) URL() string { return "redis://" + p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		off := p.off
		p.mu.Unlock()
		if off {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		go p.pipe(s, c, true)
		go p.pipe(c, s, false)
	}
}

// pipe copies from src to dst; requests (toServer) that hold an armed
// marker are held up first, and while a frozen one is held (freezeOnce)
// every other request waits for it.
func (p *proxy) pipe(dst, src net.Conn, toServer bool) {
	defer func() {
		dst.Close()
		src.Close()
	}()
	buf := make([]byte, 64<<10)
	var tail []byte // the end of the previous read: a marker cut in two is still seen
	for {
		n, err := src.Read(buf)
		if n > 0 {
			var hold time.Duration
			freeze := false
			if toServer {
				seen := append(tail, buf[:n]...)
				p.mu.Lock()
				if p.marker != nil && bytes.Contains(seen, p.marker) {
					hold, freeze, p.marker = p.hold, p.freeze, nil
					p.stalled++
				}
				p.mu.Unlock()
				tail = append(tail[:0], seen[max(0, len(seen)-64):]...)
			}
			switch {
			case freeze:
				p.gate.Lock()
				time.Sleep(hold)
			case toServer:
				time.Sleep(hold)
				p.gate.RLock()
			}
			_, werr := dst.Write(buf[:n])
			switch {
			case freeze:
				time.Sleep(20 * time.Millisecond) // Redis takes this one before the others
				p.gate.Unlock()
			case toServer:
				p.gate.RUnlock()
			}
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// stallOnce holds up the next request that holds marker for hold, then
// lets it through.
func (p *proxy) stallOnce(marker string, hold time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.marker, p.hold, p.freeze = []byte(marker), hold, false
}

// freezeOnce stalls the whole Redis, as seen through the proxy, when the
// next request that holds marker comes: for hold, no request reaches
// it; then that request goes first and the others after it, in the
// order Redis would have taken them.
func (p *proxy) freezeOnce(marker string, hold time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.marker, p.hold, p.freeze = []byte(marker), hold, true
}

// stalls returns how many requests were held up.
func (p *proxy) stalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stalled
}

// cut closes every connection through the proxy and refuses new ones
// (closes them at once): the node behind it is cut off from Redis.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.off = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// mend lets new connections through again.
func (p *proxy) mend() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.off = false
}
