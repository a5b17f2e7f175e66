package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/pixmill/pixmill/platform/api"
)

// planned is a succeeded task and the file its output goes to.
type planned struct {
	task api.Task
	path string
}

// downloadAll writes every succeeded output to Out. Names are claimed one
// after the other in task order before any download starts, so the same
// job always gives the same names however the downloads interleave.
func (s *submission) downloadAll(ctx context.Context, job api.Job) error {
	if err := os.MkdirAll(s.opts.Out, 0o755); err != nil {
		return fmt.Errorf("client: create output folder: %w", err)
	}
	var plan []planned
	for _, t := range job.Tasks {
		if t.State != api.TaskSucceeded {
			continue
		}
		path, err := claim(s.opts.Out, stem(s.nameOf(t)), s.extensionFor(t))
		if err != nil {
			for _, p := range plan {
				os.Remove(p.path)
			}
			return err
		}
		plan = append(plan, planned{task: t, path: path})
	}
	errs := make([]error, len(plan))
	var done atomic.Int64
	runBounded(len(plan), s.opts.Parallel, func(i int) {
		errs[i] = s.download(ctx, job.ID, plan[i])
		if errs[i] != nil && ctx.Err() == nil {
			s.progress.printf("download %s failed: %v", plan[i].path, errs[i])
		}
		s.progress.set("downloading", int(done.Add(1)), len(plan), "")
	})
	for i, p := range plan {
		if errs[i] == nil {
			s.report.Written = append(s.report.Written, p.path)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// download writes one output into its claimed file, and removes the file
// if it could not be written whole.
func (s *submission) download(ctx context.Context, jobID string, p planned) (err error) {
	defer func() {
		if err != nil {
			os.Remove(p.path)
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.OpenFile(p.path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("client: write output: %w", err)
	}
	_, err = s.client.Output(ctx, jobID, p.task.ID, f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("client: write output: %w", cerr)
	}
	return err
}
