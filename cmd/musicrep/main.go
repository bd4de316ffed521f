// Command musicrep trains, exports and evaluates musicrep models from the command line. It is a thin layer
// over the library: every subcommand calls the same functions the notebooks use.
//
//	musicrep info      [-data DIR]
//	musicrep hparams   [-preset NAME] [-set "k=v;..."]
//	musicrep train     -name NAME [-preset quick|paper|tiny] [-set "k=v;..."] [-heldout] [-fresh] [-data DIR] [-backend go]
//	                   (or -dataset DIR: a Melon-layout dataset; -library LIB: the joint model on a scanned library)
//	musicrep export    -checkpoint checkpoints/NAME [-out embeddings/NAME] [-data DIR]
//	musicrep features  -method minilm|minilm-lyrics|tags|tags-seq|tags-genres|tags-all|randne|deepwalk [-limit N] [-out PATH]
//	musicrep joint     [-name joint-quick] [-preset quick] [-set "k=v;..."] [-fresh]
//	musicrep query     -checkpoint checkpoints/NAME [-target fused|audio] [-k 10] "dark heavy metal" ...
//	musicrep melon-generate [-out out/melon-tiny] [-size tiny|medium|large] [-derive-from DIR] [-songs N] [-seed 1] [-real wesnoth]
//	musicrep cmir      -dataset DIR [-preset tiny|small|paper] [-variants contrastive,baseline-mf,baseline-gnr] [-stream] [-max-songs N]
//	musicrep embed-audio -checkpoint checkpoints/NAME/VARIANT/best [-dataset DIR] [-k 10] [-out PATH] FILE...
//	musicrep index     build|search|bench|synth ...  (exact and IVF vector indexes for large catalogues)
//	musicrep tag       [-models MSD_musicnn,MTT_musicnn] [-k 5] [-json] FILE...
//	musicrep library   scan DIR -out LIB | tags -library LIB [ID...] | similar -library LIB ID|FILE |
//	                   search -library LIB "text" | eval -library LIB -label album|artist|genre|folder [-json] |
//	                   embed -library LIB -checkpoint checkpoints/NAME
//	musicrep eval      -protocol paper -embeddings FILE -positives FILE [-candidates 50] [-k 10,15,20,25] [-json]
//	musicrep eval      -protocol heldout -embeddings FILE [-split-seed 1] [-test-fraction 0.2] [-json]
//	musicrep reproduce [-name NAME] [-preset quick] [-full] [-set "k=v;..."] [-fresh] [-data DIR]
//
// Commands that compute take -backend (default $GOMLX_BACKEND, else the pure-Go backend "go") and print the
// backend they run on to stderr. "xla:cpu" and "xla:cuda" need the XLA build (`make build-xla` →
// bin/musicrep-xla) and a PJRT plugin (`make xla-setup`; see musicrep/backends).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gomlx/compute"

	"github.com/musicrep/musicrep/musicrep/backends"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "info":
		err = cmdInfo(args)
	case "hparams":
		err = cmdHparams(args)
	case "train":
		err = cmdTrain(ctx, args)
	case "export":
		err = cmdExport(args)
	case "eval":
		err = cmdEval(args)
	case "features":
		err = cmdFeatures(args)
	case "reproduce":
		err = cmdReproduce(ctx, args)
	case "joint":
		err = cmdJoint(ctx, args)
	case "query":
		err = cmdQuery(args)
	case "melon-generate":
		err = cmdMelonGenerate(ctx, args)
	case "cmir":
		err = cmdCmir(ctx, args)
	case "embed-audio":
		err = cmdEmbedAudio(args)
	case "index":
		err = cmdIndex(args)
	case "tag":
		err = cmdTag(args)
	case "library":
		err = cmdLibrary(ctx, args)
	case "-h", "-help", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "musicrep: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "musicrep %s: %v\n", os.Args[1], err)
		if errors.Is(err, context.Canceled) {
			os.Exit(130)
		}
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `musicrep — joint music representations (binding_music in Go on GoMLX)

Commands:
  info       summarise and validate the data (tracks, modalities, pairs)
  hparams    list the hyperparameters with their defaults (or a preset / -set overrides)
  train      train (or resume) a model (-set model=joint for the joint model); writes checkpoints/NAME and
             embeddings/NAME.{json,npy} (joint: also embeddings/NAME.MODALITY.* per modality)
  export     embed every track with a checkpoint; writes the seed's JSON format and .npy
  features   compute features from the metadata: text (MiniLM), tags (word vectors), graph (RandNE, DeepWalk)
  eval       score embeddings: -protocol paper (binding_music's, in-sample) or heldout (split by artist)
  reproduce  the main job: train the published configuration, export, evaluate both protocols with baselines
  joint      train the joint model held out and report genre, cross-modal, clustering, arithmetic results
  query      free-text search with a joint model ("melancholic love song" → tracks)
  melon-generate  write a Melon-layout dataset from rendered mma styles (and real tracks), simulated playlists
  cmir       contrastive-mir on a Melon-layout dataset: train the variants, score genre/continuation/tagging
  embed-audio  embed audio files with a contrastive-mir encoder; nearest songs of a dataset
  index      vector indexes for large catalogues: build (flat, ivf), search, bench (recall, queries/s), synth
  tag        top tags of audio files with the pretrained musicnn taggers (MSD and MagnaTagATune tags)
  library    your own music: scan a folder (tags, musicnn features, mel statistics), then tags, similar,
             search (free text), eval (leave-one-out by album/artist/genre/folder) and embed (a trained joint
             model's embeddings as feature sets; train one with: train -library LIB -set model=joint)

Run "musicrep COMMAND -h" for a command's flags. Data: -data DIR, else $MUSICREP_DATA, else ../shared/data.
Backend: -backend NAME, else $GOMLX_BACKEND, else the pure-Go backend "go".
`)
}

// openBackend starts the GoMLX backend named by a -backend flag (empty: $GOMLX_BACKEND, else the pure-Go
// backend) and logs which one runs, on stderr.
func openBackend(config string) (compute.Backend, error) {
	b, err := backends.New(config)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "musicrep: backend %s\n", backends.Describe(b))
	return b, nil
}
