package xchan

import (
	"bytes"
	"log/slog"
	"testing"
)

// The sending side forgets kept values past MaxRetained only if the peer took them: a
// two-way channel's values handed over and not yet acknowledged stay (grant waits).
func TestRetainedBound(t *testing.T) {
	for _, tc := range []struct {
		name            string
		kept            uint64
		accepted        uint64
		wantLen         int
		wantFirst       uint64
		wantLoggedDrops int
	}{
		{"none taken", MaxRetained + 1, 0, MaxRetained + 1, 1, 0},
		{"all taken", MaxRetained, MaxRetained, MaxRetained - 1, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			l := &Link{log: slog.New(slog.NewTextHandler(&logs, nil))}
			c := &channel{st: chanState{Name: "c", Dir: DirBoth, Last: tc.kept, PeerAccepted: tc.accepted}, sent: tc.kept}
			for seq := uint64(1); seq <= tc.kept; seq++ {
				c.st.Retained = append(c.st.Retained, entry{Seq: seq, Value: []byte{1}})
			}
			l.applyAccepted(c, &wireChan{Name: "c", Dir: DirBoth, Accepted: tc.accepted})
			if len(c.st.Retained) != tc.wantLen || c.st.Retained[0].Seq != tc.wantFirst {
				t.Fatalf("kept %d values from %d, want %d from %d", len(c.st.Retained), c.st.Retained[0].Seq, tc.wantLen, tc.wantFirst)
			}
			if got := bytes.Count(logs.Bytes(), []byte("peer never saves")); got != tc.wantLoggedDrops {
				t.Fatalf("%d drops logged, want %d", got, tc.wantLoggedDrops)
			}
		})
	}
}
