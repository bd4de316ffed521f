// Package musicnn runs the four pretrained music taggers of musicnn 0.1.0 (Pons & Serra, ISC licence; PyPI
// musicnn==0.1.0) in GoMLX, reading their TensorFlow checkpoints directly: no TensorFlow at run time.
//
//   - MTT_musicnn, MSD_musicnn: the musically motivated CNN (timbral and temporal front-end filters, a dense
//     1-D mid-end, a max+mean temporal pooling back-end, a 200-unit penultimate layer), 50 tags of
//     MagnaTagATune (instruments, moods) or of the Million Song Dataset (last.fm genres, moods, decades).
//   - MTT_vgg, MSD_vgg: a 5-layer VGG-like CNN; their penultimate features are the flattened pool5 (256 values).
//
// # Weights
//
// `make models` installs the wheel (hash-pinned, without its dependencies) into the project's .venv; [Locate]
// finds a model's folder there or under $MUSICREP_MUSICNN_DIR. [ReadBundle] reads a TensorFlow checkpoint
// bundle: the .index file (a LevelDB-format table of BundleEntryProto records: dtype, shape, offset, size,
// CRC-32C) and the .data-00000-of-00001 file. Every block and tensor CRC is checked; a missing, truncated or
// damaged file is an error naming the file and the record.
//
// # Front-end
//
// [FrontEnd] is musicnn's own (extractor.py): 16 kHz mono, 512-sample periodic Hann frames every 256 samples,
// centred with zero padding, power spectrum, 96 Slaney mel bands, cast to float16 and log10(10000·x + 1) in
// float16 arithmetic, non-overlapping 3 s patches of 187 frames (the frames after the last whole patch are
// dropped, as musicnn does). Two deviations, both fixes: values whose float16 product overflows are computed in
// float32 (musicnn turns them into +Inf and outputs NaN for the patch; see [LogCompress]), and a signal shorter
// than one patch is repeat-padded into one (musicnn fails on it). [AnalyzeFile] streams a file through the
// decoder of package audio, the resampler, the front-end and the models, in bounded memory.
//
// # Model
//
// [Model] is the network in inference mode: batch normalisation with the moving statistics (ε = 10⁻³),
// no dropout. On the pure-Go backend convolutions are computed as matrix products of the unfolded input (its
// convolution is much slower than its matrix product); on XLA backends they are native convolutions.
//
// Per track ([Track]), the taggram is kept per patch and aggregated as the mean over patches (MeanTags), and
// the penultimate features are averaged over patches (Embedding).
//
// # Agreement with musicnn
//
// The golden test (testdata/golden, written by scripts/golden/musicnn-golden.sh with musicnn's own code on
// TensorFlow 2.21 CPU, the two fixes above applied to the reference too) feeds musicnn's own input patches of
// three real recordings to all four models: taggram and penultimate features agree within 1e-4 (measured:
// ≤ 5.1e-7 and ≤ 4.9e-6, on the Go backend and on xla:cpu), with the same top-3 tags on every patch. From the
// files themselves (musicrep's decoder and resampler instead of libvorbis and soxr) the tracks' top-3 tags are
// the same and the mean taggram is within 0.007 (TestGoldenEndToEnd).
package musicnn
