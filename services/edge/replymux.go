package edge

import (
	"errors"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/nats-io/nats.go"
)

// replyMux sends NATS requests whose replies come back on one wildcard subscription
// (_INBOX.<id>.<n>) and hands each reply to its waiter through a map keyed by n. It does what
// nats.go's RequestMsg does, without its per-request channel, inbox string and response map
// under the connection's lock; waiters (channels and a timer each) are pooled.
//
// Requests are published by one goroutine, in batches: nats.go wakes its flusher on every
// publish, and the woken goroutine runs as soon as the publisher parks, so requests published
// each from its own goroutine leave one write (a syscall) apiece. The publisher yields first,
// so every request made runnable with it queues its message, then publishes them all: one
// write for the batch.
type replyMux struct {
	nc *nats.Conn

	mu      sync.Mutex
	sub     *nats.Subscription
	prefix  string // "_INBOX.<nuid>."
	next    uint64
	waiters map[uint64]*replyWaiter
	closed  bool

	pmu     sync.Mutex
	queue   []*replyWaiter // to publish
	spare   []*replyWaiter // the publisher's last batch, reused
	stopped bool
	kick    chan struct{}
	stop    chan struct{}
}

// replyWaiter is one pending request. ch has room for one reply; a nil reply means the
// subscription closed (the connection did). published says the publisher is done with msg.
type replyWaiter struct {
	ch        chan *nats.Msg
	published chan error
	msg       *nats.Msg
	timer     *time.Timer
	reply     []byte
}

var replyWaiters = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &replyWaiter{ch: make(chan *nats.Msg, 1), published: make(chan error, 1), timer: t, reply: make([]byte, 0, 48)}
}}

// errMuxClosed says the mux's subscription ended with its connection.
var errMuxClosed = errors.New("edge: reply subscription closed")

// NATS status of a no-responders reply (nats.go's own constants are unexported).
const (
	natsStatusHeader = "Status"
	natsNoResponders = "503"
)

func newReplyMux(nc *nats.Conn) *replyMux {
	return &replyMux{nc: nc, waiters: map[uint64]*replyWaiter{}, kick: make(chan struct{}, 1), stop: make(chan struct{})}
}

// start subscribes once, on first use. Lock held.
func (m *replyMux) start() error {
	if m.sub != nil {
		return nil
	}
	if m.closed {
		return errMuxClosed
	}
	prefix := m.nc.NewInbox() + "."
	sub, err := m.nc.Subscribe(prefix+"*", m.deliver)
	if err != nil {
		return err
	}
	_ = sub.SetPendingLimits(-1, -1)
	sub.SetClosedHandler(func(string) { m.close() })
	m.sub, m.prefix = sub, prefix
	go m.publisher()
	return nil
}

// publish hands w.msg to the publisher and waits until it is sent (or failed).
func (m *replyMux) publish(w *replyWaiter) error {
	m.pmu.Lock()
	if m.stopped {
		m.pmu.Unlock()
		return nats.ErrConnectionClosed
	}
	m.queue = append(m.queue, w)
	first := len(m.queue) == 1
	m.pmu.Unlock()
	if first {
		select {
		case m.kick <- struct{}{}:
		default:
		}
	}
	return <-w.published
}

// publisher sends queued requests in batches until the mux closes.
func (m *replyMux) publisher() {
	for {
		select {
		case <-m.kick:
		case <-m.stop:
			m.pmu.Lock()
			m.stopped = true
			batch := m.queue
			m.queue = nil
			m.pmu.Unlock()
			for _, w := range batch {
				w.published <- nats.ErrConnectionClosed
			}
			return
		}
		runtime.Gosched() // the requests runnable now queue theirs first
		m.pmu.Lock()
		batch := m.queue
		m.queue = m.spare[:0]
		m.pmu.Unlock()
		for _, w := range batch {
			w.published <- m.nc.PublishMsg(w.msg)
		}
		clear(batch)
		m.spare = batch[:0]
	}
}

// deliver hands a reply to its waiter; replies nobody waits for any more are dropped.
func (m *replyMux) deliver(msg *nats.Msg) {
	if len(msg.Subject) <= len(m.prefix) {
		return
	}
	n, err := strconv.ParseUint(msg.Subject[len(m.prefix):], 10, 64)
	if err != nil {
		return
	}
	m.mu.Lock()
	w, ok := m.waiters[n]
	delete(m.waiters, n)
	m.mu.Unlock()
	if ok {
		w.ch <- msg // room for one, and only the deleter sends
	}
}

// close wakes every waiter once the subscription is gone.
func (m *replyMux) close() {
	m.mu.Lock()
	if !m.closed {
		close(m.stop)
	}
	m.closed = true
	ws := m.waiters
	m.waiters = map[uint64]*replyWaiter{}
	m.mu.Unlock()
	for _, w := range ws {
		w.ch <- nil
	}
}

// request publishes msg with a reply subject of the mux and waits up to timeout for the reply.
// Errors are nats.go's: ErrTimeout, ErrNoResponders, ErrConnectionClosed, or publish's.
func (m *replyMux) request(msg *nats.Msg, timeout time.Duration) (*nats.Msg, error) {
	w := replyWaiters.Get().(*replyWaiter)
	m.mu.Lock()
	if err := m.start(); err != nil {
		m.mu.Unlock()
		replyWaiters.Put(w)
		if m.nc.IsClosed() {
			return nil, nats.ErrConnectionClosed
		}
		return nil, err
	}
	m.next++
	n := m.next
	m.waiters[n] = w
	m.mu.Unlock()

	w.reply = strconv.AppendUint(append(w.reply[:0], m.prefix...), n, 10)
	// nats.go copies the subject while it publishes, so the string may share w.reply.
	msg.Reply = unsafe.String(&w.reply[0], len(w.reply))
	w.msg = msg
	err := m.publish(w)
	w.msg = nil
	msg.Reply = ""
	if err != nil {
		if !m.forget(n, w) {
			<-w.ch
		}
		replyWaiters.Put(w)
		return nil, err
	}

	w.timer.Reset(timeout)
	var reply *nats.Msg
	select {
	case reply = <-w.ch:
		w.timer.Stop()
	case <-w.timer.C:
		if m.forget(n, w) {
			replyWaiters.Put(w)
			return nil, nats.ErrTimeout
		}
		reply = <-w.ch // delivered while the timer fired: take it
	}
	replyWaiters.Put(w)
	switch {
	case reply == nil:
		return nil, nats.ErrConnectionClosed
	case len(reply.Data) == 0 && reply.Header.Get(natsStatusHeader) == natsNoResponders:
		return nil, nats.ErrNoResponders
	}
	return reply, nil
}

// forget removes waiter n; false when a reply (or close) took it first and is on its way.
func (m *replyMux) forget(n uint64, w *replyWaiter) bool {
	m.mu.Lock()
	cur, ok := m.waiters[n]
	if ok && cur == w {
		delete(m.waiters, n)
	}
	m.mu.Unlock()
	return ok
}
