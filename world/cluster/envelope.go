package cluster

import (
	"encoding/json"
	"fmt"

	"github.com/fxamacker/cbor/v2"
	"github.com/stackworld/stackworld/world"
)

// envelope is a migration message: who sends what to whom, with each entity's directory
// state while it moves, around the persist payload.
type envelope struct {
	_       struct{} `cbor:",toarray"`
	ID      string   // "<source zone>-<n>": the stream's deduplication id
	From    string
	To      string
	Tick    uint64   // the source's tick at export
	Epochs  []uint64 // per entity of the payload, in order: the epoch of this move
	Revs    []uint64 // per entity: the directory revision the target's compare-and-set expects
	Payload []byte
}

var envDec = func() cbor.DecMode {
	dm, err := cbor.DecOptions{MaxNestedLevels: 4, MaxArrayElements: world.MaxMigrants, IndefLength: cbor.IndefLengthForbidden}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

func (e *envelope) encode() ([]byte, error) { return cbor.Marshal(e) }

// decodeEnvelope decodes and checks an envelope from the network.
func decodeEnvelope(b []byte, to string) (*envelope, error) {
	var e envelope
	if err := envDec.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	switch {
	case e.To != to:
		return nil, fmt.Errorf("envelope for zone %q reached zone %q", e.To, to)
	case !zoneName.MatchString(e.From) || e.From == to:
		return nil, fmt.Errorf("envelope from zone %q", e.From)
	case len(e.Epochs) != len(e.Revs):
		return nil, fmt.Errorf("envelope with %d epochs for %d revisions", len(e.Epochs), len(e.Revs))
	}
	return &e, nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// journalEntry is a zone's note of a migration in progress, in ZonesBucket.
type journalEntry struct {
	ID     string           `json:"id,omitempty"` // out: the migration (its commit record's key)
	To     string           `json:"to,omitempty"`
	IDs    []world.EntityID `json:"ids,omitempty"`
	Epochs []uint64         `json:"epochs,omitempty"`
	Revs   []uint64         `json:"revs,omitempty"` // out: the directory revisions before the move
	Seq    uint64           `json:"seq,omitempty"`  // in: the payload's stream sequence
}
