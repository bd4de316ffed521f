package index

// SquaredL2 is the squared Euclidean distance between a and b (same length) as every search of this package
// defines it: the differences and squares in float64, summed in four partial sums (element d into sum d mod 4,
// the last len%4 elements into the first) added as (s0+s1)+(s2+s3). Identical vectors are at distance 0 and
// equal rows get bit-identical distances, so duplicates tie exactly. It panics if the lengths differ.
func SquaredL2(a, b []float32) float64 {
	if len(a) != len(b) {
		panic("index: SquaredL2 of vectors of different lengths")
	}
	return squaredL2Kernel(a, b)
}

// squaredL2Kernel is squaredL2Go, or a SIMD version of the same arithmetic (bit-identical) where the CPU has one.
var squaredL2Kernel = squaredL2Go

func squaredL2Go(a, b []float32) float64 {
	var acc [4]float64
	body := len(a) - len(a)%4
	for d := 0; d < body; d += 4 {
		x, y := a[d:d+4:d+4], b[d:d+4:d+4]
		for j := range 4 {
			diff := float64(x[j]) - float64(y[j])
			acc[j] += float64(diff * diff) // the conversion forbids fusing into a multiply-add (Go spec)
		}
	}
	for d := body; d < len(a); d++ {
		diff := float64(a[d]) - float64(b[d])
		acc[0] += float64(diff * diff)
	}
	return (acc[0] + acc[1]) + (acc[2] + acc[3])
}
