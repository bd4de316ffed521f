"""Golden outputs of musicnn's own code (PyPI musicnn==0.1.0 on TensorFlow CPU) for musicrep/musicnn's tests.

Run by scripts/golden/musicnn-golden.sh, which builds the golden virtualenv; see that script for the versions.

For each recording and each of the four models it runs musicnn.extractor.extractor(file, model,
extract_features=True) -- musicnn's own front-end (librosa) and model (TensorFlow graph, checkpoint restored by
tf.train.Saver) -- with one fix: the PyPI release's extractor.py unpacks the features of every patch after the
first into midend1_/midend2_/midend3_/backend_ but concatenates cnn1_/cnn2_/cnn3_/penultimate_ (the first patch's
values again; upstream issue jordipons/musicnn#20). The fixed line is substituted in the source before it is
executed, and the script refuses to run if the line is not found.

Written to OUT (float32 .npy, little-endian), for each recording NAME:
  NAME.input.npy                 [P, 187, 96] the first P patches musicnn fed the model (float16 values)
  NAME.MODEL.taggram.npy         [P, 50]      sigmoid tag probabilities of those patches
  NAME.MODEL.penultimate.npy     [P, D]       musicnn: the 200-d penultimate layer (batch-normalised dense);
                                              vgg: pool5 flattened (256-d)
  NAME.MODEL.pooled.npy          [P, 1506]    musicnn only: [max_pool, mean_pool] of the mid-end (753 + 753)
  NAME.MODEL.track.npy           [2, 50]      over all patches of the track: mean taggram and max taggram
and golden.json: recordings (file name, sha256, patches in the track), models, versions, the command.
"""
import argparse
import hashlib
import json
import os
import sys
import types

import numpy as np

MODELS = ["MTT_musicnn", "MSD_musicnn", "MTT_vgg", "MSD_vgg"]


def patched_extractor():
    import musicnn
    import musicnn.extractor as orig

    src_path = orig.__file__
    src = open(src_path).read()
    bad = ("predicted_tags, timbral_, temporal_, midend1_, midend2_, midend3_, mean_pool_, max_pool_, backend_ = "
           "tf_out")
    good = "predicted_tags, timbral_, temporal_, cnn1_, cnn2_, cnn3_, mean_pool_, max_pool_, penultimate_ = tf_out"
    if src.count(bad) != 1:
        sys.exit("musicnn_golden: the known bug line was not found in %s: is this musicnn 0.1.0?" % src_path)
    overflow = "    audio_rep = np.log10(10000 * audio_rep + 1)\n"
    if src.count(overflow) != 1:
        sys.exit("musicnn_golden: the float16 log line was not found in %s: is this musicnn 0.1.0?" % src_path)
    src = src.replace(overflow, "    audio_rep = log_compress(audio_rep)\n")
    mod = types.ModuleType("musicnn_extractor_fixed")
    mod.__file__ = src_path  # the extractor finds the checkpoints next to its own file
    mod.log_compress = log_compress
    exec(compile(src.replace(bad, good), src_path, "exec"), mod.__dict__)
    return mod


def log_compress(s16):
    """musicnn's np.log10(10000 * s16 + 1) in float16, with the values that overflow float16 computed in float32."""
    with np.errstate(over="ignore"):
        out = np.log10(10000 * s16 + 1)
    bad = ~np.isfinite(out)
    out[bad] = np.log10(10000 * s16[bad].astype(np.float32) + 1).astype(np.float16)
    log_compress.bad = bad
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--patches", type=int, default=4)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    ext = patched_extractor()
    import librosa
    import tensorflow as tf
    import musicnn.configuration as config

    manifest = {"command": os.environ.get("MUSICNN_GOLDEN_COMMAND", " ".join(sys.argv)),
                "versions": {"musicnn": "0.1.0", "tensorflow": tf.__version__, "librosa": librosa.__version__,
                             "numpy": np.__version__},
                "fixes": ["extractor.py: the per-patch feature concatenation uses each patch's own features "
                          "(jordipons/musicnn#20)",
                          "batch_data: log10(10000 * S + 1) computed in float32 where float16 overflows to +Inf "
                          "(overflow_values / overflow_patches: how many values and patches of each track musicnn "
                          "itself turns into Inf and NaN)"],
                "patches": args.patches, "models": MODELS, "recordings": []}
    for path in args.files:
        name = os.path.splitext(os.path.basename(path))[0]
        batch, spec = ext.batch_data(path, 187, 187)
        assert np.all(np.isfinite(batch))
        bad = log_compress.bad  # [frames, 96]: the values that overflow float16 in musicnn's own front-end
        n = batch.shape[0]
        bad_patches = int(np.sum(bad[:n * 187].reshape(n, 187, 96).any(axis=(1, 2))))
        p = min(args.patches, batch.shape[0])
        np.save(os.path.join(args.out, name + ".input.npy"), batch[:p].astype(np.float32))
        rec = {"name": name, "file": os.path.basename(path), "sha256": sha256(path), "track_patches": int(batch.shape[0]),
               "frames": int(spec.shape[0]), "overflow_values": int(bad.sum()),
               "overflow_patches": bad_patches, "top3": {}}
        for model in MODELS:
            taggram, labels, feats = ext.extractor(path, model=model, input_length=3, extract_features=True)
            taggram = np.asarray(taggram, np.float32)
            assert taggram.shape[0] == batch.shape[0], (taggram.shape, batch.shape)
            if "vgg" in model:
                pen = np.asarray(feats["pool5"], np.float32).reshape(taggram.shape[0], -1)
            else:
                pen = np.asarray(feats["penultimate"], np.float32)
                pooled = np.concatenate([feats["max_pool"], feats["mean_pool"]], axis=1).astype(np.float32)
                np.save(os.path.join(args.out, "%s.%s.pooled.npy" % (name, model)), pooled[:p])
            np.save(os.path.join(args.out, "%s.%s.taggram.npy" % (name, model)), taggram[:p])
            np.save(os.path.join(args.out, "%s.%s.penultimate.npy" % (name, model)), pen[:p])
            track = np.stack([taggram.mean(axis=0), taggram.max(axis=0)]).astype(np.float32)
            np.save(os.path.join(args.out, "%s.%s.track.npy" % (name, model)), track)
            rec["top3"][model] = [labels[i] for i in np.argsort(-taggram.mean(axis=0))[:3]]
            print(name, model, "patches", taggram.shape[0], "top3", rec["top3"][model], flush=True)
        manifest["recordings"].append(rec)
    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
