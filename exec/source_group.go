package exec

// Sources that share their splits with other processes (a Kafka source in
// a consumer group), and the hooks they need from the runtime.

import "fmt"

// SharedSource is a Source whose splits other processes may read too: it
// takes part in a group (Kafka's consumer-group protocol) that moves
// splits between the processes running the same query. A split moved away
// takes no state with it, so a query over such a source must keep none:
// Run and RunWith refuse to start a plan in which an operator other than a
// scan is Stateful.
type SharedSource interface {
	Source
	// SharesPartitions reports whether the source shares its splits with
	// other processes (false: it reads all of them itself).
	SharesPartitions() bool
	// StatefulQueryError is the error reported when the query keeps state;
	// op describes the operator that keeps it.
	StatefulQueryError(op string) error
}

// CheckpointRequester is a CheckpointedSource that asks the runtime for
// checkpoints of its own and learns when they commit: a source handing a
// split to another process first makes sure that everything it read from
// the split is in a committed checkpoint. RunWith wires it; a run without
// checkpoints never calls SetCheckpointRequest.
type CheckpointRequester interface {
	CheckpointedSource
	// SetCheckpointRequest is called once, before Open, with a function
	// that asks for a checkpoint as soon as possible (safe to call from any
	// goroutine; the scans send the barrier before their next source
	// batch).
	SetCheckpointRequest(request func())
	// CheckpointCommitted is called, on the goroutine running the query,
	// after checkpoint id has committed (the sink included). The last
	// Position the source returned before it is in that checkpoint.
	CheckpointCommitted(id uint64)
}

// checkSharedSources fails if a scan reads a SharedSource that shares its
// splits while an operator of the plan keeps state.
func checkSharedSources(root Operator) error {
	var shared SharedSource
	var stateful Operator
	Walk(root, func(op Operator) {
		if sc, ok := op.(*Scan); ok {
			if ss, ok := sc.Source().(SharedSource); ok && ss.SharesPartitions() && shared == nil {
				shared = ss
			}
			return
		}
		if _, ok := op.(Stateful); ok && stateful == nil {
			stateful = op
		}
	})
	if shared == nil || stateful == nil {
		return nil
	}
	name := fmt.Sprintf("%T", stateful)
	if d, ok := stateful.(Describer); ok {
		name = d.Describe()
	}
	return shared.StatefulQueryError(name)
}

// wireCheckpointRequesters lets the plan's CheckpointRequester sources ask
// c for checkpoints and returns them, to be told of each commit.
func wireCheckpointRequesters(c *checkpointer) []CheckpointRequester {
	var out []CheckpointRequester
	for _, op := range c.ops {
		sc, ok := op.(*Scan)
		if !ok {
			continue
		}
		if r, ok := sc.Source().(CheckpointRequester); ok {
			r.SetCheckpointRequest(func() { c.trigger.Request(c.trigger.requested() + 1) })
			out = append(out, r)
		}
	}
	return out
}
