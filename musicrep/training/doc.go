// Package training is musicrep's one trainer: every model — binding_music's binding model, the joint model and
// contrastive-mir's six variants — trains through Train, selected by the "model" hyperparameter:
//
//	model=binding                  fused MLP on feature files, margin pair loss on labelled pairs
//	model=joint                    per-modality encoders (MLP, or the audio CNN with joint_audio_encoder=cnn,
//	                               the pretrained musicnn network fine-tuned with joint_audio_encoder=musicnn,
//	                               or a tag encoder) into one space + fusion, masked InfoNCE/NT-Xent
//	model=cmir-<variant>           contrastive-mir: audio CNN with the tag and CF encoders (NT-Xent) or with
//	                               the prediction heads (MSE/BCE baselines)
//
// A run reads a Dataset: feature files with labelled pairs (Data: the Fairouz seed, any features a user
// supplies, or a scanned library's feature sets, pipeline.LibraryData) or a Melon-layout dataset (cmir.Data: mel
// crops, CF vectors, genre tag ids; cmir.AudioFeatures with frozen audio vectors such as musicnn's, or
// cmir.MusicnnPatches with musicnn's input patches as its audio). The dataset says which
// modalities it has, of which kind (InputKind: vectors, mel crops, token ids) and which tracks have each (presence
// masks); the model picks encoders from package encoder for them and combines losses from package objective.
//
// Every hyperparameter of every model is declared once, with its default and documentation, in Declared
// (`musicrep hparams` prints them); ModelDefaults gives each model kind its published starting point and Presets
// the named schedules (paper, quick, small, tiny) per model family; Param reads a value and panics on an
// undeclared key.
//
// Train writes atomic, hashed checkpoints that record the architecture and a fingerprint of the inputs, resumes
// exactly — mid-epoch included: batches, crops and modality dropout are drawn from (seed, epoch, step) — keeps a
// loss.csv, reports progress, and, when the dataset has a validation split, scores the validation loss after
// every epoch and keeps the best checkpoint in <run>/best. Stepper runs the same steps one at a time for
// benchmarks.
//
// # Data-parallel training
//
// The hyperparameter data_parallel=N (default 0: one device) splits every step's batch over N devices of the
// backend, e.g. on a machine with 8 GPUs (with a binary built with XLA, `make build-xla`):
//
//	musicrep train -backend xla:cuda -set "data_parallel=8" ...
//
// The batch (batch_size, or joint_batch_size for the joint model) is the global batch and must be a multiple of
// N; each device gets an equal, contiguous share of it along the example axis (the binding model's inputs are
// [anchors; others] stacked, so a device may hold only anchors or only others: XLA adds the communication the
// pairing then needs). Every variable — weights, Adam's moments, the random-number state — is replicated
// on all N devices. The step is GoMLX's Trainer.DistributedTrainStep with the AutoSharding strategy over a 1-D
// device mesh (axis "data"): the graph is the ordinary program over the global batch, annotated with how its
// inputs are sharded, and XLA's partitioner splits it and adds the collectives, the all-reduce of the
// gradients among them. So a step computes the single-device loss of the global batch and the same update, up
// to float32 rounding; the joint model's contrastive negatives come from the whole global batch, and (on
// xla:cpu, tested) dropout draws the same masks as on one device. (GoMLX's other strategy, SPMD, runs a per-device program and leaves
// the gradient all-reduce to the model code; its optimizers do not do it, so each device would train its own
// replica on its own shard.) An epoch's last batch, when shorter than the others, is cut to a multiple of N
// (progress says how many examples that skips); if it is shorter than N it is skipped.
//
// Everything else is as on one device: the loss log, progress lines, the OnStep callback, checkpoints (they hold
// ordinary full values, merged from the replicas, so they load for single-device inference), interruption and
// resume. data_parallel belongs to the run, not to the model: a checkpoint of a data-parallel run resumes on
// one device, or with another data_parallel, continuing the same training.
//
// Limits: the pure-Go backend has one device and no collective operations, so it refuses data_parallel ≥ 2, as
// does any backend with fewer than N devices. xla:cpu exposes virtual CPU devices (4 with the plugin from `make
// xla-setup`): they run the same partitioned program and are what the tests use, but they share the machine's
// cores and give no speed-up. Data-parallel training has only been tested on xla:cpu's virtual devices
// (parallel_xla_test.go: losses and weights match a single-device run, resume is exact); no multi-GPU machine
// was available, so neither xla:cuda's NCCL collectives nor any speed-up has been measured.
package training
