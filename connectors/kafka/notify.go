package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Notices is where sources and sinks report what they wait for (a broker
// that cannot be reached, and when it answers again) and problems that do
// not stop the query. The CLI leaves it at standard error.
var Notices io.Writer = os.Stderr

// notifier writes a connector's notices, at most one line about a failing
// broker per growing interval, so a long outage does not flood the terminal.
type notifier struct {
	w    io.Writer
	what string // `kafka source "bids"`

	mu      sync.Mutex
	down    map[string]*outage // by broker address
	lastMsg map[string]time.Time
}

type outage struct {
	since time.Time
	next  time.Time // when the next notice may be written
	gap   time.Duration
}

func newNotifier(w io.Writer, what string) *notifier {
	if w == nil {
		w = io.Discard
	}
	return &notifier{w: w, what: what, down: map[string]*outage{}, lastMsg: map[string]time.Time{}}
}

func (n *notifier) printf(format string, args ...any) {
	fmt.Fprintf(n.w, "weir: %s: %s\n", n.what, fmt.Sprintf(format, args...))
}

// unreachable reports a failed attempt to reach addr.
func (n *notifier) unreachable(addr string, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	o := n.down[addr]
	if o == nil {
		o = &outage{since: now, next: now, gap: time.Second}
		n.down[addr] = o
	}
	if now.Before(o.next) {
		return
	}
	if o.since == now {
		n.printf("cannot reach the broker at %s (%v); retrying with backoff", addr, err)
	} else {
		n.printf("still cannot reach the broker at %s after %s (%v); retrying", addr, now.Sub(o.since).Round(time.Second), err)
	}
	o.next = now.Add(o.gap)
	o.gap = min(2*o.gap, time.Minute)
}

// reached reports a successful connection to addr.
func (n *notifier) reached(addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	o := n.down[addr]
	if o == nil {
		return
	}
	delete(n.down, addr)
	n.printf("connected to the broker at %s after %s", addr, time.Since(o.since).Round(100*time.Millisecond))
}

// problem reports a problem that does not stop the query, at most once a
// minute for each kind.
func (n *notifier) problem(kind string, format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if t, ok := n.lastMsg[kind]; ok && time.Since(t) < time.Minute {
		return
	}
	n.lastMsg[kind] = time.Now()
	n.printf(format, args...)
}

// connHook feeds the client's connection attempts to a notifier.
type connHook struct{ n *notifier }

var _ kgo.HookBrokerConnect = connHook{}

// OnBrokerConnect implements kgo.HookBrokerConnect.
func (h connHook) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	addr := net.JoinHostPort(meta.Host, strconv.Itoa(int(meta.Port)))
	if errors.Is(err, context.Canceled) {
		return // the client is closing
	}
	if err != nil {
		h.n.unreachable(addr, err)
		return
	}
	h.n.reached(addr)
}
