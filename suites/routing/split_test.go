package routing

import (
	"math"
	"testing"
)

// binomialTail is P(X >= k) for X ~ Binomial(n, p).
func binomialTail(n, k int, p float64) float64 {
	sum := 0.0
	for i := k; i <= n; i++ {
		lg, _ := math.Lgamma(float64(n + 1))
		li, _ := math.Lgamma(float64(i + 1))
		lr, _ := math.Lgamma(float64(n - i + 1))
		sum += math.Exp(lg - li - lr + float64(i)*math.Log(p) + float64(n-i)*math.Log(1-p))
	}
	return sum
}

// TestWeightedSplitErrorRates states the error rates of
// RoutingWeightedSplit: a correct 3:1 split must fail it less than 1% of
// the time, and a split ignoring the weights (1:1) must pass it less than
// 1% of the time.
func TestWeightedSplitErrorRates(t *testing.T) {
	falseFail := 1 - binomialTail(splitRequests, heavyAtLeast, 0.75)
	miss := binomialTail(splitRequests, heavyAtLeast, 0.5)
	t.Logf("%d requests, threshold %d: a 3:1 split fails with probability %.4f, a 1:1 split passes with probability %.4f", splitRequests, heavyAtLeast, falseFail, miss)
	if falseFail >= 0.01 {
		t.Errorf("a correct 3:1 split fails with probability %.4f, want under 1%%", falseFail)
	}
	if miss >= 0.01 {
		t.Errorf("a 1:1 split passes with probability %.4f, want under 1%%", miss)
	}
}
