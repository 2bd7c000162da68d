package cluster

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// A target commits a migration with one write, the batch's commit record (directory.commit),
// and imports the entities at once; their directory entries then follow: the target
// publishes their compare-and-sets ({S, k} at the revision S had -> {T, k+1}) at the end
// of its step without waiting, and settles the answers at its next Step (or Migrate,
// Save, or recovery). Until then an imported entity is not the zone's in revs: it does
// not leave again, and mail for it waits, as for an entity on its way. A save waits for
// them, so that a save holding the entities always has their entries naming the zone.
// Once they are settled the commit record is removed (dropCommit, storage.go): kill point
// "in.purged".

// dirUpdate is a batch of directory compare-and-sets published after a commit, and not
// yet answered.
type dirUpdate struct {
	from    string // the source zone of the migration
	mig     string // the migration, whose commit record goes once cs are settled ("": gone)
	cs      []cas
	futures []jetstream.PubAckFuture // nil: to publish (again)
	// published, while a goroutine publishes cs, is closed when futures (or err) is set.
	published chan struct{}
	err       error
}

// settleDirectory waits for the answers to the zone's directory updates and records the
// entities' revisions, and then drops each settled batch's commit record. An update the
// server refused is settled by recommit (one that reached the server before a crash, or
// before a lost answer, is found done). It stops at the first error (NATS away, or
// ErrZoneDead from a Fault); what is left is published again on the next call.
func (z *Zone) settleDirectory(ctx context.Context) error {
	for len(z.updates) > 0 {
		u := z.updates[0]
		if u.published != nil {
			select {
			case <-u.published:
			case <-ctx.Done():
				return fmt.Errorf("cluster: directory: %w", ctx.Err())
			}
			u.published = nil
			if u.err != nil {
				u.futures = nil
			}
		}
		if u.futures == nil {
			fs, err := z.dir.publishAll(u.cs)
			if err != nil {
				return err
			}
			u.futures = fs
		}
		for len(u.cs) > 0 {
			if err := z.settleEntry(ctx, u.cs[0], u.futures[0], u.from); err != nil {
				u.futures = nil
				return err
			}
			u.cs, u.futures = u.cs[1:], u.futures[1:]
		}
		if err := z.dropSettledCommit(ctx, u); err != nil {
			return err
		}
		z.updates = z.updates[1:]
	}
	z.updates = nil
	return nil
}

// dropSettledCommit removes the commit record of a batch whose entries are settled (see
// dropCommit); one the server did not remove is tried again at the next settleDirectory
// (storage.records), and one a crash left waits for commitTTL.
func (z *Zone) dropSettledCommit(ctx context.Context, u *dirUpdate) error {
	if u.mig != "" {
		z.store.records = append(z.store.records, u.mig)
		u.mig = ""
	}
	for len(z.store.records) > 0 {
		if err := z.dir.dropCommit(ctx, z.store.records[0]); err != nil {
			z.log.Debug("cluster: commit record kept until the next step", "err", err) // NATS is away
			return nil
		}
		z.store.records = z.store.records[1:]
		if err := z.fault("in.purged"); err != nil {
			return err
		}
	}
	return nil
}

// settleEntry settles one entity's directory update.
func (z *Zone) settleEntry(ctx context.Context, c cas, f jetstream.PubAckFuture, from string) error {
	r, err := await(ctx, f)
	if err != nil {
		return err
	}
	rev, ok := r.Rev, r.Err == nil
	if !ok {
		if rev, ok, err = z.recommit(ctx, c.ID, from, c.Value.Epoch); err != nil {
			return err
		}
	}
	switch {
	case !ok:
		// The batch's commit record names this zone, so nobody else may change the entry:
		// reported, and the entity stays here, unowned (a restart drops it).
		z.stats.Failures++
		z.log.Error("cluster: directory entry of a committed entity names another zone", "entity", c.ID)
	case z.w.Alive(c.ID):
		z.revs[c.ID], z.epochs[c.ID] = rev, c.Value.Epoch
	default: // despawned since it came
		delete(z.epochs, c.ID)
		if err := z.forgetEntry(ctx, c.ID, rev); err != nil {
			z.log.Warn("cluster: directory entry of a despawned entity kept", "entity", c.ID, "err", err)
		}
	}
	return nil
}

// publishUpdates starts publishing the directory updates not yet published, on a
// goroutine, and returns: the step ends without them, and the server writes them between
// this step and the next rather than ahead of this step's other requests. One that fails
// is published again when settled. determinism: the goroutine only publishes; what the
// answers change is applied at the next settleDirectory, in the updates' order.
func (z *Zone) publishUpdates() {
	for _, u := range z.updates {
		if u.futures != nil || u.published != nil {
			continue
		}
		u.published = make(chan struct{})
		go func() { // determinism: it only publishes (see above)
			u.futures, u.err = z.dir.publishAll(u.cs)
			close(u.published)
		}()
	}
}

// updatePending reports whether directory updates are still to settle.
func (z *Zone) updatePending() bool { return len(z.updates) > 0 }
