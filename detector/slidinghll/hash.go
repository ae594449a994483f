package slidinghll

import (
	"math"
	"math/bits"

	metro "github.com/dgryski/go-metro"
)

// Precision is the number of index bits of the dense registers: 2^14 =
// 16384 registers, axiomhq's New14.
const Precision = 14

const (
	m       = 1 << Precision // dense registers
	maxRank = 64 - Precision + 1

	// sparsePrecision is axiomhq's sparse precision pp: a sparse key holds
	// the top 25 bits of the hash, and the sparse estimate counts keys
	// among 2^25.
	sparsePrecision = 25
	sparseM         = uint32(1) << sparsePrecision
)

// Hash returns the 64-bit hash of v that axiomhq's Sketch.Insert adds
// (MetroHash64, seed 1337): Insert(step, Hash(v)) counts v as
// Sketch.Insert(v) would.
func Hash(v []byte) uint64 { return metro.Hash64(v, 1337) }

// posVal returns the dense register of hash x and its rank (the position
// of the first 1 bit after the index bits, 1 to maxRank): axiomhq's
// getPosVal at precision 14.
func posVal(x uint64) (uint32, uint8) {
	i := uint32(x >> (64 - Precision))
	w := x<<Precision | 1<<(Precision-1)
	return i, uint8(bits.LeadingZeros64(w)) + 1
}

// encodeKey returns the sparse key of hash x: axiomhq's encodeHash at
// precisions 14 and 25. The top 25 bits of x make the key; when the 11 bits
// after the dense index are all zero they do not give the rank, and the key
// carries it too.
func encodeKey(x uint64) uint32 {
	idx := uint32(x >> (64 - sparsePrecision))
	if idx&(1<<(sparsePrecision-Precision)-1) == 0 {
		zeros := bits.LeadingZeros64((x&(1<<(64-sparsePrecision)-1))<<sparsePrecision|(1<<sparsePrecision-1)) + 1
		return idx<<7 | uint32(zeros<<1) | 1
	}
	return idx << 1
}

// decodeKey returns the dense register and rank of sparse key k: axiomhq's
// decodeHash at precisions 14 and 25.
func decodeKey(k uint32) (uint32, uint8) {
	if k&1 == 1 {
		return k >> (32 - Precision), uint8(k>>1&0x3f) + sparsePrecision - Precision
	}
	r := uint8(bits.LeadingZeros64(uint64(k<<(32-sparsePrecision+Precision-1))) - 31)
	return k >> (sparsePrecision - Precision + 1) & (m - 1), r
}

// keyHash returns a hash whose sparse key is k, or false when no hash
// encodes to k. Sketch exports sparse keys through it, and UnmarshalBinary
// accepts only keys that it inverts.
func keyHash(k uint32) (uint64, bool) {
	var x uint64
	if k&1 == 1 {
		zeros := k >> 1 & 0x3f // 1 to 40: the leading zeros of the 39 low bits, plus one
		if zeros < 1 || zeros > 64-sparsePrecision+1 {
			return 0, false
		}
		x = uint64(k>>7) << (64 - sparsePrecision)
		if zeros <= 64-sparsePrecision {
			x |= 1 << (64 - sparsePrecision - zeros)
		}
	} else {
		x = uint64(k>>1) << (64 - sparsePrecision)
	}
	return x, encodeKey(x) == k
}

// registerHash returns a hash that gives dense register j the rank r
// (1 to maxRank).
func registerHash(j uint32, r uint8) uint64 {
	x := uint64(j) << (64 - Precision)
	if r < maxRank {
		x |= 1 << (64 - Precision - r)
	}
	return x
}

// pow2neg[r] is 2^-r.
var pow2neg = func() (t [maxRank + 1]float64) {
	for r := range t {
		t[r] = math.Ldexp(1, -r)
	}
	return t
}()

// denseEstimate is axiomhq's dense estimate (LogLog-Beta) from the sum of
// 2^-M[j] over the registers and the number of empty registers. The
// expression is axiomhq's, operation for operation, so that equal inputs
// give equal results.
func denseEstimate(sum, ez float64) uint64 {
	fm := float64(m)
	est := alpha(fm) * fm * (fm - ez) / (sum + beta14(ez))
	return uint64(est + 0.5)
}

// sparseEstimate is axiomhq's sparse estimate: linear counting of n keys
// among 2^25.
func sparseEstimate(n int) uint64 {
	return uint64(linearCount(sparseM, sparseM-uint32(min(n, int(sparseM)-1))))
}

// alpha, linearCount and beta14 are axiomhq's, copied as written: a
// constant expression would be folded at a higher precision than the
// float64 operations axiomhq runs.
func alpha(m float64) float64 { return 0.7213 / (1 + 1.079/m) }

func linearCount(m uint32, v uint32) float64 {
	fm := float64(m)
	return fm * math.Log(fm/float64(v))
}

func beta14(ez float64) float64 {
	zl := math.Log(ez + 1)
	return -0.371009760230692*ez +
		0.00978811941207509*zl +
		0.185796293324165*math.Pow(zl, 2) +
		0.203015527328432*math.Pow(zl, 3) +
		-0.116710521803686*math.Pow(zl, 4) +
		0.0431106699492820*math.Pow(zl, 5) +
		-0.00599583540511831*math.Pow(zl, 6) +
		0.000449704299509437*math.Pow(zl, 7)
}
