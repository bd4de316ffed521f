// Package encoder holds every building block that maps one modality's input to a vector, as GoMLX graph
// code, and a registry that names them so a model can be assembled from settings:
//
//	name            input                         what it is
//	mlp             feature vectors               the joint model's per-modality MLP (Linear → GELU → Dropout → Linear)
//	binding-mlp     feature vectors               binding_music's contraction Linear+ReLU (package binding)
//	cnn             log-mel crops (48 × 256)      contrastive-mir's audio CNN (AudioCNN)
//	cf-mlp          CF vectors (301)              contrastive-mir's CF encoder (CFEncoder)
//	tags-attention  tag ids + embedding table     contrastive-mir's tag self-attention encoder (SelfAttention)
//	tags-mean       tag ids + embedding table     contrastive-mir's tag mean encoder (Mean)
//
// Linear is the one fully connected layer every encoder, fusion head and prediction head uses (PyTorch's
// nn.Linear initialisation). Fusion (attention or mean over the modality embeddings) lives with the joint model
// that owns it (package joint), the binding fusion MLP with package binding; both build on Linear.
//
// # The audio CNN
//
// AudioCNN follows ../shared/reference/SEEDS_SPEC.md B2.1 exactly when Widths is the default
// (128,128,256,256,256,256,512) and the input is 48 bands × 256 frames: seven blocks of Conv(3×3, pad 1) →
// BatchNorm → ReLU → MaxPool (2, 2, 2, 2, (1,2), (1,2), 2), flatten to 1024 = z, then Linear(1024→512) → BatchNorm
// → ReLU → Dropout(0.5) → Linear(512→Out) → LayerNorm(eps 1e-6) = z_d (Out = 128 in the paper); 3,989,762
// parameters. A narrower Widths gives the small CI preset (the pure-Go backend's convolutions are slow;
// TOOLCHAIN.md).
//
// BatchNorm trains as PyTorch's does: its gradient runs through the batch mean and variance (GoMLX's
// norm.BatchNorm, which musicrep used until 2026-12-07, holds them constant, a different training rule; see
// batchNorm, tested against PyTorch's autograd in testdata/batchnorm_golden.json). The running averages and the
// variable names are norm.BatchNorm's, so checkpoints load either way. The graph is shaped for XLA's CPU compiler:
// the convolution's bias goes into the normalisation instead of being added to the activation, per-channel sums
// take a two-stage form, and the max-pool is one reduction with its gradient written out (maxPool2D).
//
// Time-frequency layout: the original trainer reshapes (256 frames × 48 bands) crops with view(-1,1,48,256) — a
// reshape, not a transpose — while its inference code feeds properly oriented (48 × 256) chunks (SEEDS_SPEC
// B7.1). musicrep uses the proper orientation, [batch, 1, 48 bands, 256 frames], for both training and
// inference, so a model sees the same layout in both; Scrambled reproduces the original training reshape.
//
// # The tag encoders
//
// SelfAttention is contrastive-mir's TagSelfAttentionEncoder (SEEDS_SPEC B2.2) and Mean its TagMeanEncoder
// (B2.3), generic in vocabulary size, dimension and heads, so the same code serves the seed's 250×128 genre
// word2vec matrix and the 100-d word-vector tags of package tagfeat. Both take [batch, maxTags] integer ids,
// id i = table row i, 0 = padding. Differences from the PyTorch original:
//   - Linear weights are stored [in, out] (PyTorch: [out, in]); transpose when porting weights.
//   - Mean masks padding positions explicitly and divides by max(1, number of tags): a track with no tags
//     pools to zeros (the original divides by zero and gives NaN), so its output is the LayerNorm offset.
//   - SelfAttention keeps the original's behaviour: only padding keys are masked, padding queries are still
//     computed and summed; a row of only padding attends uniformly over the padding row's values.
//
// Dropout is layers.DropoutStatic everywhere: active only when the store marks the graph as training (the
// trainer does); inference graphs are deterministic.
package encoder
