package cmir

import (
	"github.com/musicrep/musicrep/musicrep/encoder"
	"math"
	"testing"

	"github.com/musicrep/musicrep/musicrep/objective"
)

// naiveConstant recomputes ConstantValidationLoss another way: per validation batch, the constant predictions
// are written out in full (logits for BCE-with-logits as Loss computes it, the mean CF vector per song, and
// equal embeddings fed to the plain-Go NT-Xent reference), and the batch means are averaged with weights.
func naiveConstant(d *Data, v objective.Variant, batch int, p []float64, mean []float64) float64 {
	var total, count float64
	for lo := 0; lo < len(d.Val); lo += batch {
		songs := d.Val[lo:min(len(d.Val), lo+batch)]
		if len(songs) < 2 {
			break
		}
		var loss float64
		if v == objective.MIRBaselineGn || v == objective.MIRBaselineMG {
			var s float64
			for _, i := range songs {
				hot := make([]float64, len(p))
				for _, g := range d.Songs[i].GenreIDs {
					hot[g-1] = 1
				}
				for g := range p {
					x := math.Log(p[g] / (1 - p[g])) // the logit that predicts p
					s += math.Log1p(math.Exp(x)) - hot[g]*x
				}
			}
			loss += s / float64(len(songs)*len(p))
		}
		if v == objective.MIRBaselineMF || v == objective.MIRBaselineMG {
			var s float64
			for _, i := range songs {
				for k := range encoder.CFDim {
					var x float64
					if d.Songs[i].CF != nil {
						x = float64(d.Songs[i].CF[k])
					}
					s += (mean[k] - x) * (mean[k] - x)
				}
			}
			loss += s / float64(len(songs)*encoder.CFDim)
		}
		if v == objective.MIRFull || v == objective.MIRAudioCF || v == objective.MIRAudioTags {
			same := make([][]float64, len(songs))
			for j := range same {
				same[j] = []float64{0.3, -1.2, 2}
			}
			l := objective.NTXentReference(same, same, objective.DefaultTemperature)
			if v == objective.MIRFull {
				l *= 3
			}
			loss += l
		}
		total += loss * float64(len(songs))
		count += float64(len(songs))
	}
	return total / count
}

func TestConstantValidationLoss(t *testing.T) {
	_, d := preparedSynthetic(t)
	n := float64(len(d.Train))
	p := make([]float64, len(d.Vocab))
	mean := make([]float64, encoder.CFDim)
	for _, i := range d.Train {
		for _, g := range d.Songs[i].GenreIDs {
			p[g-1]++
		}
		for k, x := range d.Songs[i].CF {
			mean[k] += float64(x) / n
		}
	}
	for g := range p {
		p[g] = math.Min(math.Max(p[g]/n, 0.5/n), 1-0.5/n)
	}
	for _, batch := range []int{3, 4, 16, 1000} {
		for _, v := range []objective.Variant{objective.MIRBaselineGn, objective.MIRBaselineMF, objective.MIRBaselineMG, objective.MIRFull, objective.MIRAudioTags, objective.MIRAudioCF} {
			got, err := ConstantValidationLoss(d, v, batch)
			if err != nil {
				t.Fatal(err)
			}
			want := naiveConstant(d, v, batch, p, mean)
			if math.Abs(got.Loss-want) > 1e-9*math.Max(1, want) || !(got.Loss > 0) {
				t.Errorf("batch %d, %s: constant loss %.12g, naive %.12g", batch, v, got.Loss, want)
			}
		}
	}
	// The training frequencies / mean are the best constants on the training songs: moving any of them costs.
	train := &Data{Songs: d.Songs, Train: d.Train, Val: d.Train, Vocab: d.Vocab}
	for _, v := range []objective.Variant{objective.MIRBaselineGn, objective.MIRBaselineMF} {
		best := naiveConstant(train, v, len(d.Train), p, mean)
		for _, delta := range []float64{-0.01, 0.01} {
			p2 := append([]float64(nil), p...)
			m2 := append([]float64(nil), mean...)
			p2[0] = math.Min(math.Max(p2[0]+delta, 1e-6), 1-1e-6)
			m2[0] += delta
			if moved := naiveConstant(train, v, len(d.Train), p2, m2); moved < best-1e-12 {
				t.Errorf("%s: a moved constant scores %.9g on the training songs, below the fitted %.9g", v, moved, best)
			}
		}
	}
	// Two different constants for the two views of NT-Xent do worse than one shared constant.
	a, b := [][]float64{{1, 0}, {1, 0}, {1, 0}}, [][]float64{{0.6, 0.8}, {0.6, 0.8}, {0.6, 0.8}}
	if objective.NTXentReference(a, b, 0.1) <= objective.NTXentReference(a, a, 0.1) {
		t.Error("NT-Xent: differing constant views should not beat equal ones")
	}
	if _, err := ConstantValidationLoss(d, objective.Variant("nope"), 4); err == nil {
		t.Error("an unknown variant was accepted")
	}
}
