package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Sink delivers a message somewhere.
type Sink interface {
	// Name says which sink in logs and errors ("webhooks[0]", "email"),
	// never its URL.
	Name() string
	// Type is the metric label: "webhook" or "email".
	Type() string
	Send(ctx context.Context, m Message) error
}

// Message is an event as the sinks send it.
type Message struct {
	Event
	// StatusURL is the status page's address, which every message links
	// to.
	StatusURL string
}

// Outcomes of a notification (the outcome label of
// orgbridge_notifications_total).
const (
	OutcomeSent        = "sent"
	OutcomeFailed      = "failed"
	OutcomeRateLimited = "rate_limited"
	OutcomeDropped     = "dropped" // the queue was full
)

// Options configure a Notifier.
type Options struct {
	Sinks     []Sink
	StatusURL string
	// MinInterval: at most one message per kind and job within it; 0 sends
	// every event. A recovery always goes out.
	MinInterval time.Duration
	// QueueSize bounds the events Post queues; default 64.
	QueueSize int
	Logger    *zap.Logger
	Now       func() time.Time
	// Observe counts each event per sink with its outcome (the metric).
	Observe func(sink, outcome string)
	// Prepare, when set, completes an event on the worker before it is
	// sent (the reason of a quarantine, the error of a run), off the
	// goroutine that posted it.
	Prepare func(ctx context.Context, ev *Event)
}

// Notifier sends events to its sinks, one message per event and sink.
type Notifier struct {
	opts  Options
	log   *zap.Logger
	queue chan Event

	mu     sync.Mutex
	last   map[string]time.Time // kind and job → when last let through
	closed bool
	done   chan struct{} // closed when the worker has stopped; nil before Start
	cancel context.CancelFunc
}

// New makes a notifier; Start runs its worker for Post.
func New(opts Options) *Notifier {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 64
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	return &Notifier{opts: opts, log: opts.Logger, queue: make(chan Event, opts.QueueSize), last: map[string]time.Time{}}
}

// admit applies the rate limit: false when an event of this kind and job
// was let through within MinInterval. A recovery always passes and lets
// the next quarantine or failure of its job through at once.
func (n *Notifier) admit(ev Event) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.opts.Now()
	if ev.Kind == KindRecovered {
		delete(n.last, string(KindQuarantined)+"\x00"+ev.Job)
		delete(n.last, string(KindRunFailed)+"\x00"+ev.Job)
		return true
	}
	key := string(ev.Kind) + "\x00" + ev.Job
	if t, ok := n.last[key]; ok && n.opts.MinInterval > 0 && now.Sub(t) < n.opts.MinInterval {
		return false
	}
	n.last[key] = now
	return true
}

func (n *Notifier) observeAll(outcome string) {
	if n.opts.Observe == nil {
		return
	}
	for _, s := range n.opts.Sinks {
		n.opts.Observe(s.Type(), outcome)
	}
}

// Post, Start and Close do nothing on a nil *Notifier (no notify block).

// Post queues the event for the worker and returns at once: the daemon
// never waits for a relay. An event over the rate limit, or one that
// finds the queue full (or the notifier closed), is dropped and counted.
func (n *Notifier) Post(ev Event) {
	if n == nil {
		return
	}
	if ev.At.IsZero() {
		ev.At = n.opts.Now()
	}
	if !n.admit(ev) {
		n.observeAll(OutcomeRateLimited)
		n.log.Debug("notification rate-limited", zap.String("event", string(ev.Kind)), zap.String("job", ev.Job))
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.observeAll(OutcomeDropped)
		return
	}
	select {
	case n.queue <- ev:
	default:
		n.observeAll(OutcomeDropped)
		n.log.Warn("notification dropped: the queue is full", zap.String("event", string(ev.Kind)), zap.String("job", ev.Job), zap.Int("queue", cap(n.queue)))
	}
}

// Send delivers the event now to every sink, under the rate limit (an
// event over it returns nil): for one-off commands, which exit after.
func (n *Notifier) Send(ctx context.Context, ev Event) error {
	if ev.At.IsZero() {
		ev.At = n.opts.Now()
	}
	if !n.admit(ev) {
		n.observeAll(OutcomeRateLimited)
		return nil
	}
	return n.deliver(ctx, ev)
}

// deliver sends to every sink, each on its own, and joins their errors.
func (n *Notifier) deliver(ctx context.Context, ev Event) error {
	if n.opts.Prepare != nil {
		n.opts.Prepare(ctx, &ev)
	}
	m := Message{Event: ev, StatusURL: n.opts.StatusURL}
	errs := make([]error, len(n.opts.Sinks))
	var wg sync.WaitGroup
	for i, s := range n.opts.Sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcome := OutcomeSent
			if err := s.Send(ctx, m); err != nil {
				outcome = OutcomeFailed
				errs[i] = fmt.Errorf("notify %s: %w", s.Name(), err)
				n.log.Warn("notification not delivered", zap.String("sink", s.Name()), zap.String("event", string(ev.Kind)), zap.String("job", ev.Job), zap.Error(err))
			} else {
				n.log.Info("notification sent", zap.String("sink", s.Name()), zap.String("event", string(ev.Kind)), zap.String("job", ev.Job))
			}
			if n.opts.Observe != nil {
				n.opts.Observe(s.Type(), outcome)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Start runs the worker that delivers what Post queues, until Close.
func (n *Notifier) Start() {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.done != nil || n.closed {
		return
	}
	n.done = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() {
		defer close(n.done)
		for ev := range n.queue {
			_ = n.deliver(ctx, ev) // logged and counted
		}
	}()
}

// Close stops taking events and waits until the worker has delivered
// those queued, or ctx ends (the rest are then lost with the process).
func (n *Notifier) Close(ctx context.Context) error {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	close(n.queue)
	done, cancel := n.done, n.cancel
	n.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		cancel() // the sink in flight gives up; the rest go undelivered
		return fmt.Errorf("notifications still queued: %w", ctx.Err())
	}
}
