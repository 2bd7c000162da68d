package main

import (
	"context"
	"errors"

	"github.com/stackworld/stackworld/cmd/viewer/model"
)

// remoteSource watches a server's debug endpoint (--attach).
type remoteSource struct {
	control bool
}

func newRemoteSource(ctx context.Context, addr string) (*remoteSource, error) {
	return nil, errors.New("--attach is not built yet")
}

func (r *remoteSource) fill(g *game)         {}
func (r *remoteSource) Pause()               {}
func (r *remoteSource) Resume()              {}
func (r *remoteSource) Step(int)             {}
func (r *remoteSource) SetRate(float64)      {}
func (r *remoteSource) Status() model.Status { return model.Status{} }
