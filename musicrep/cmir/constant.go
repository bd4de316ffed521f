package cmir

import (
	"errors"
	"fmt"
	"github.com/musicrep/musicrep/musicrep/encoder"
	"math"

	"github.com/musicrep/musicrep/musicrep/objective"
)

// ConstantLoss is the validation loss of the best predictor that ignores its input: the floor a trained variant
// has to get under before its validation loss means it learned anything from the audio.
type ConstantLoss struct {
	Loss float64 `json:"loss"`
	What string  `json:"what"` // the constant predictor, in words
}

// ConstantValidationLoss computes, for variant v, the loss on the validation songs of the best constant
// predictor, batched exactly as Train's validation loss (batches of batch songs in Data.Val order, the last one
// smaller, one of fewer than two songs dropped, each batch's mean weighted by its size):
//
//   - baseline-gnr: binary cross-entropy of predicting, for every genre code, its frequency among the training
//     songs (clipped to [0.5/n, 1−0.5/n] for n training songs, so that a code unseen in training costs a finite
//     amount) — the constant that minimises the training BCE;
//   - baseline-mf: mean squared error of predicting the mean of the training songs' CF vectors (zeros for a song
//     without one, as the batches feed them);
//   - baseline-mf-gnr: the sum of the two;
//   - the contrastive variants: NT-Xent when every embedding is the same vector (chance): in a batch of n songs
//     every row's positive and its 2n−2 negatives have the same similarity, so each term is −log(1/(2n−1) +
//     1e-5); no constant does better (giving the two views different constants only lowers the positive's
//     share). Summed over the variant's pairs (three for contrastive, one otherwise).
func ConstantValidationLoss(d *Data, v objective.Variant, batch int) (ConstantLoss, error) {
	if batch < 1 {
		return ConstantLoss{}, fmt.Errorf("cmir: batch size %d: want ≥ 1", batch)
	}
	if len(d.Train) == 0 {
		return ConstantLoss{}, errors.New("cmir: no training songs to fit a constant predictor on")
	}
	nGenres := max(1, len(d.Vocab))
	freq := make([]float64, nGenres)
	meanCF := make([]float64, encoder.CFDim)
	for _, i := range d.Train {
		for _, g := range d.Songs[i].GenreIDs {
			freq[int(g)-1]++
		}
		for k, x := range d.Songs[i].CF {
			meanCF[k] += float64(x)
		}
	}
	n := float64(len(d.Train))
	for g := range freq {
		freq[g] = math.Min(math.Max(freq[g]/n, 0.5/n), 1-0.5/n)
	}
	for k := range meanCF {
		meanCF[k] /= n
	}
	bce := func(songs []int) float64 {
		var sum float64
		for _, i := range songs {
			y := make([]bool, nGenres)
			for _, g := range d.Songs[i].GenreIDs {
				y[int(g)-1] = true
			}
			for g, p := range freq {
				if y[g] {
					sum -= math.Log(p)
				} else {
					sum -= math.Log(1 - p)
				}
			}
		}
		return sum / float64(len(songs)*nGenres)
	}
	mse := func(songs []int) float64 {
		var sum float64
		for _, i := range songs {
			cf := d.Songs[i].CF
			for k, m := range meanCF {
				var x float64
				if cf != nil {
					x = float64(cf[k])
				}
				sum += (x - m) * (x - m)
			}
		}
		return sum / float64(len(songs)*encoder.CFDim)
	}
	var what string
	var perBatch func(songs []int) float64
	switch v {
	case objective.MIRBaselineGn:
		what, perBatch = "BCE of the training genre-code frequencies", bce
	case objective.MIRBaselineMF:
		what, perBatch = "MSE of the training-mean CF vector", mse
	case objective.MIRBaselineMG:
		what = "BCE of the training genre-code frequencies + MSE of the training-mean CF vector"
		perBatch = func(songs []int) float64 { return bce(songs) + mse(songs) }
	case objective.MIRFull, objective.MIRAudioTags, objective.MIRAudioCF:
		terms := 1
		if v == objective.MIRFull {
			terms = len(objective.ContrastiveMIRPairs())
		}
		what = fmt.Sprintf("NT-Xent with all embeddings equal (chance), %d term(s)", terms)
		perBatch = func(songs []int) float64 {
			return float64(terms) * -math.Log(1/float64(2*len(songs)-1)+objective.NTXentLogEps)
		}
	default:
		return ConstantLoss{}, fmt.Errorf("cmir: unknown variant %q", v)
	}
	var sum float64
	var count int
	for lo := 0; lo < len(d.Val); lo += batch {
		hi := min(len(d.Val), lo+batch)
		if hi-lo < 2 {
			break
		}
		sum += perBatch(d.Val[lo:hi]) * float64(hi-lo)
		count += hi - lo
	}
	if count == 0 {
		return ConstantLoss{}, errors.New("cmir: fewer than two validation songs")
	}
	return ConstantLoss{Loss: sum / float64(count), What: what}, nil
}
