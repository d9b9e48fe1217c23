package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"

	"github.com/orgbridge/orgbridge/scheduler"
)

// progress shows how far an apply has got: a bar on a terminal, a line at
// each quarter otherwise (so that CI logs stay short).
type progress struct {
	w     io.Writer
	tty   bool
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	total int
	next  int
	fails int
}

func newProgress(w io.Writer) *progress { return &progress{w: w, tty: isTerminal(w)} }

func (p *progress) start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.next, p.fails = total, 1, 0
	if total == 0 {
		return
	}
	if p.tty {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription("applying"),
			progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish())
	}
}

func (p *progress) update(ev scheduler.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Err != nil {
		p.fails++
	}
	if p.bar != nil {
		_ = p.bar.Set(ev.Done)
		return
	}
	// Lines at 25%, 50%, 75% and 100%.
	for p.next <= 4 && ev.Done*4 >= p.next*p.total {
		fmt.Fprintf(p.w, "applying: %d/%d changes (%d%%), %d failed\n", ev.Done, ev.Total, p.next*25, p.fails)
		p.next++
	}
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}
