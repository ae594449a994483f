// Package slidinghll counts distinct values over a sliding window of steps
// with a sliding HyperLogLog (Chabchoub and Hébrail, "Sliding HyperLogLog:
// Estimating cardinality in a data stream over a sliding window", 2010):
// every event and every step costs amortized O(1), and the estimate O(1),
// whatever the window's length. It keeps axiomhq/hyperloglog's layout
// (precision 14, MetroHash64 with seed 1337, the same registers, sparse
// keys and estimators), so that a [Window] estimates exactly what an
// axiomhq sketch of the window's values would, and exports one
// ([Window.Sketch]): axiomhq stays the mergeable, serialisable sketch of
// exchanges and snapshots.
//
// # Steps
//
// A step is an int64: the caller's bucket number, say event time divided
// by a resolution. A window of span steps holds the values inserted at its
// span newest steps, [newest-span+1, newest], newest being the latest step
// inserted at or advanced to. An insert at an older step within the window
// counts at that step, and leaves when that step does; one older than the
// window counts nothing. The package never reads a clock.
//
// # Algorithm
//
// HyperLogLog hashes a value to 64 bits; the top 14 pick one of m = 2^14
// registers, and the rank of the rest (the position of its first 1 bit)
// goes to the register if higher. Over a window, a register's maximum must
// forget the ranks that left: for each register the window keeps its list
// of possible future maxima (LPFM), the (step, rank) pairs that no later
// pair of the register dominates (a pair dominates an older one with a
// rank as low or lower). Along a list, steps increase and ranks strictly
// decrease, so the register's maximum over the window is the rank of its
// first pair. An insert walks back from the list's end, drops the pairs it
// dominates, and appends; expiry drops pairs from the front. A list holds
// at most 51 pairs, and under uniform hashes about ln(k)/2+1 for k values
// of the register in the window (3.6 for k = 60).
//
// Expiry never scans the registers: each new pair queues a visit of its
// register at its step (at most one per register and step), in a FIFO of
// steps when it arrives in step order, in a small heap when it arrives at
// an older step than one already queued. When steps leave the window, the
// queue hands over exactly the registers to visit. Visits for pairs
// dominated since are harmless, and the queue drops them once it has grown
// to four times its size after the last such compaction.
//
// The estimate needs Σ 2^-M[j] over the registers' maxima M[j] and the
// number of empty registers. The window keeps the number of registers at
// each rank, updated whenever a maximum changes (an insert that becomes a
// list's first pair, an expiry that removes it), and sums the 52 counts
// when asked: exactly, as long as no maximum exceeds 38 (fewer than about
// 2^38 values), and so with the very floating-point sum axiomhq takes
// register by register. The estimator is axiomhq's LogLog-Beta, copied
// operation for operation.
//
// # Sparse and dense
//
// Like axiomhq, a window starts sparse: it keeps the exact set of
// axiomhq's sparse keys (the top 25 bits of a hash, and its rank when they
// do not give it), each with its newest step, in a hash table, with the
// same queue of visits; its estimate is axiomhq's sparse one, linear
// counting among 2^25, nearly exact (off by at most 2 + n/8192 for n
// values in the tests). Past 6,144 keys the window turns dense: registers
// and lists, for a standard error of 1.04/√m ≈ 0.81%. A from-scratch
// axiomhq sketch is sparse up to about 7,700 uniform keys, so a sparse
// window and axiomhq agree exactly; from 6,144 keys to axiomhq's own
// switch the window is dense where axiomhq would still be sparse, and the
// two estimates differ within the dense error.
//
// A dense window whose traffic falls under 3,072 busy registers records
// the sparse keys of its new values on the side; once its older steps
// have all left the window, the recorded keys are the window's, and it
// turns sparse again (if they stay under 3,072: the recording stops when
// they pass it).
//
// # Costs
//
// Insert costs amortized O(1): a hash table update, or a walk of one
// register's list (a few pairs, at most 51), and one queued visit; an insert at an
// older step than the FIFO's newest pays O(log q) for the heap of such
// visits. Advance costs O(1) plus amortized O(1) per pair or key it
// expires. Estimate costs O(1): a logarithm when sparse; when dense, 52
// additions and LogLog-Beta's logarithm and powers, cached until a maximum
// changes. Turning dense costs O(6,144 + 2^14), once per 3,072 inserts at
// the least; turning sparse again is O(1).
//
// # Memory
//
// Memory follows the traffic. A window that saw nothing is a 48-byte
// struct. A sparse window costs 250 to 400 bytes for a handful of values,
// 15 to 48 bytes a key for more (an 8-byte slot of a hash table kept
// between 3/8 and 3/4 full, its queued visits, 16 bytes per queued step):
// up to about 175 KiB just before it turns dense. A dense one costs 80 KiB of register headers, 4 bytes a pair in
// power-of-two blocks, 2 bytes a queued visit and 16 per queued step:
// measured, 150 to 210 KiB just past the switch, 210 to 310 KiB for 20,000
// values and 260 to 560 KiB for 100,000 (at one step, or spread over 3,600
// steps). A window gives everything back once its values have left it,
// and a dense window compacts its lists once their blocks have room for
// eight times the pairs they hold. Under a flood of 1,000,000 distinct
// values at 2,000 a step, one window's live heap peaks near 1 MiB for
// spans of 60 and 3,600 steps (BenchmarkWindow_PeakHeap).
//
// # Snapshots
//
// [Window.AppendBinary] writes a compact, versioned, canonical encoding of
// the state (keys or lists, steps as ages from the newest step, in
// varints), and [Window.UnmarshalBinary] restores a window that goes on
// exactly as the original; it refuses any other bytes without panicking
// and allocates in proportion to its input.
//
// A Window is not safe for concurrent use.
package slidinghll
