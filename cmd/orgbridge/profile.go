package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// profiler writes the pprof CPU and heap profiles the hidden root flags
// --cpuprofile and --memprofile ask for, around whatever command runs, so
// that a slow plan or sync at scale is profiled as users run it (go tool
// pprof bin/orgbridge FILE). A command with a --cpuprofile of its own
// (loadgen) shadows the root's, and profiles itself.
type profiler struct {
	cpuPath, memPath string
	cpu              *os.File
}

// register adds the hidden flags to root.
func (p *profiler) register(root *cobra.Command) {
	fl := root.PersistentFlags()
	fl.StringVar(&p.cpuPath, "cpuprofile", "", "write a pprof CPU profile of the command to this file")
	fl.StringVar(&p.memPath, "memprofile", "", "write a pprof heap profile (after the command) to this file")
	_ = fl.MarkHidden("cpuprofile")
	_ = fl.MarkHidden("memprofile")
}

// start begins the CPU profile, if one was asked for.
func (p *profiler) start() error {
	if p.cpuPath == "" {
		return nil
	}
	f, err := os.Create(p.cpuPath)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	p.cpu = f
	return nil
}

// stop ends the CPU profile and writes the heap profile. The heap profile
// is written after a GC, so that it shows what was allocated in all
// (alloc_space) and what was still live at the end (inuse_space).
func (p *profiler) stop() error {
	var errs []error
	if p.cpu != nil {
		pprof.StopCPUProfile()
		if err := p.cpu.Close(); err != nil {
			errs = append(errs, fmt.Errorf("--cpuprofile: %w", err))
		}
		p.cpu = nil
	}
	if p.memPath != "" {
		f, err := os.Create(p.memPath)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("--memprofile: %w", err))...)
		}
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			errs = append(errs, fmt.Errorf("--memprofile: %w", err))
		}
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("--memprofile: %w", err))
		}
	}
	return errors.Join(errs...)
}
