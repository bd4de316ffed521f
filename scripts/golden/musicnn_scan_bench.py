"""The Python reference for `musicrep library scan`'s musicnn work: librosa + musicnn 0.1.0 on TensorFlow CPU.

Run in the golden virtualenv (scripts/golden/musicnn-golden.sh builds it; bench/scan.sh calls this script):

    TF_USE_LEGACY_KERAS=1 .venv-golden/bin/python scripts/golden/musicnn_scan_bench.py scan --threads 2 \
        --mode session FILE...
    TF_USE_LEGACY_KERAS=1 .venv-golden/bin/python scripts/golden/musicnn_scan_bench.py infer --threads 2 --reps 5

scan: for each file, musicnn's own front-end (extractor.batch_data: librosa.load(sr=16000), the 96-band mel
spectrogram, float16 log10(10000·S + 1), 187-frame patches) and the MSD_musicnn and MTT_musicnn models, whose
taggram, penultimate features and max/mean pooled features are fetched (what musicrep keeps). Two modes:
  session    each model's TensorFlow graph and session are built once, each file is loaded once and its
             patches run through both models in batches of --batch (8, as musicrep): the reference done well;
  extractor  musicnn.extractor.extractor(file, model, extract_features=True) for each model, as musicnn's
             README shows: each call builds the graph, restores the checkpoint and loads the file again, and runs
             one patch at a time (config.BATCH_SIZE = 1), fetching every intermediate layer.
Both apply the two fixes of scripts/golden/musicnn_golden.py (upstream issue jordipons/musicnn#20 and the float16
overflow of the log), so the features are the right ones; they cost nothing measurable.
infer: the model alone on a fixed batch of --batch patches (the values of musicrep/musicnn BenchmarkRun:
2 + sin(0.001·i)), --reps timed runs after one warm-up run, per model.

Threads: TensorFlow's intra- and inter-op pools and OMP are set to --threads (musicrep's scan uses one worker per
CPU). Prints one JSON object: times per stage, audio seconds, minutes of audio per second, peak RSS (ru_maxrss).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

T0 = time.perf_counter()
MODELS = ["MSD_musicnn", "MTT_musicnn"]


def setup(threads):
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[k] = str(threads)
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    return tf


class Graph:
    """One musicnn model: graph and session built once (as extractor() builds them, without the reset)."""

    def __init__(self, tf, name, threads):
        import musicnn.configuration as config
        from musicnn import models

        labels = config.MTT_LABELS if "MTT" in name else config.MSD_LABELS
        self.graph = tf.Graph()
        with self.graph.as_default():
            with tf.name_scope("model"):
                self.x = tf.compat.v1.placeholder(tf.float32, [None, 187, config.N_MELS])
                self.is_training = tf.compat.v1.placeholder(tf.bool)
                y, _, _, _, _, _, mean_pool, max_pool, penultimate = models.define_model(
                    self.x, self.is_training, name, len(labels))
                self.fetch = [tf.nn.sigmoid(y), penultimate, max_pool, mean_pool]
            cfg = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads,
                                           inter_op_parallelism_threads=threads)
            self.sess = tf.compat.v1.Session(graph=self.graph, config=cfg)
            self.sess.run(tf.compat.v1.global_variables_initializer())
            import musicnn

            tf.compat.v1.train.Saver().restore(self.sess, os.path.join(os.path.dirname(musicnn.__file__), name) + "/")

    def run(self, patches):
        return self.sess.run(self.fetch, feed_dict={self.x: patches, self.is_training: False})


def scan(args):
    import numpy as np

    tf = setup(args.threads)
    from musicnn_golden import patched_extractor

    ext = patched_extractor()
    import librosa

    t_import = time.perf_counter() - T0
    stages = {"import_s": t_import, "graph_s": 0.0, "frontend_s": 0.0, "model_s": 0.0}
    files, audio_s = [], 0.0
    t = time.perf_counter()
    graphs = {m: Graph(tf, m, args.threads) for m in MODELS} if args.mode == "session" else {}
    stages["graph_s"] += time.perf_counter() - t
    for path in args.files:
        if args.mode == "session":
            t = time.perf_counter()
            batch, spec = ext.batch_data(path, 187, 187)
            stages["frontend_s"] += time.perf_counter() - t
            seconds = spec.shape[0] * 256 / 16000  # frames × hop: the signal length to within one hop
            rec = {"file": os.path.basename(path), "patches": int(batch.shape[0])}
            t = time.perf_counter()
            for m, g in graphs.items():
                outs = [g.run(batch[lo:lo + args.batch]) for lo in range(0, batch.shape[0], args.batch)]
                taggram = np.concatenate([o[0] for o in outs])
                penultimate = np.concatenate([o[1] for o in outs])
                rec[m] = {"top3": [int(i) for i in np.argsort(-taggram.mean(axis=0))[:3]],
                          "embedding_mean": float(penultimate.mean())}
            stages["model_s"] += time.perf_counter() - t
        else:
            rec = {"file": os.path.basename(path)}
            for m in MODELS:
                t = time.perf_counter()
                taggram, _, feats = ext.extractor(path, model=m, input_length=3, extract_features=True)
                stages["model_s"] += time.perf_counter() - t  # graph, restore, librosa and the model together
                rec[m] = {"top3": [int(i) for i in np.argsort(-taggram.mean(axis=0))[:3]],
                          "embedding_mean": float(np.asarray(feats["penultimate"]).mean())}
            rec["patches"] = int(taggram.shape[0])
            seconds = librosa.get_duration(path=path)
        rec["seconds"] = seconds
        audio_s += seconds
        files.append(rec)
        print("%s: %.1f s of audio, %d patches" % (rec["file"], seconds, rec["patches"]), file=sys.stderr, flush=True)
    total = time.perf_counter() - T0
    print(json.dumps({
        "tool": "musicnn 0.1.0 + librosa on TensorFlow CPU", "mode": args.mode, "threads": args.threads,
        "batch": args.batch if args.mode == "session" else 1, "files": files, "audio_seconds": audio_s,
        "seconds": total, "stages": stages, "audio_min_per_s": audio_s / 60 / total,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "versions": {"tensorflow": tf.__version__, "librosa": librosa.__version__, "numpy": np.__version__,
                     "python": sys.version.split()[0]}}))


def infer(args):
    import numpy as np

    tf = setup(args.threads)
    n = args.batch * 187 * 96
    patches = (2 + np.sin(np.arange(n, dtype=np.float64) * 0.001)).astype(np.float32).reshape(args.batch, 187, 96)
    res = {"tool": "musicnn 0.1.0 on TensorFlow CPU", "threads": args.threads, "batch": args.batch,
           "tensorflow": tf.__version__, "models": {}}
    for m in MODELS:
        g = Graph(tf, m, args.threads)
        g.run(patches)  # warm-up
        times = []
        for _ in range(args.reps):
            t = time.perf_counter()
            g.run(patches)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        res["models"][m] = {"times_s": times, "median_s": med, "audio_s_per_s": args.batch * 3 / med}
        print("%s: batch of %d patches: median %.3f s (%d runs), %.1f s of audio per s" % (
            m, args.batch, med, args.reps, args.batch * 3 / med), file=sys.stderr, flush=True)
    res["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(res))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scan")
    s.add_argument("--threads", type=int, default=os.cpu_count())
    s.add_argument("--mode", choices=["session", "extractor"], default="session")
    s.add_argument("--batch", type=int, default=8)
    s.add_argument("files", nargs="+")
    i = sub.add_parser("infer")
    i.add_argument("--threads", type=int, default=os.cpu_count())
    i.add_argument("--batch", type=int, default=8)
    i.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    scan(args) if args.cmd == "scan" else infer(args)


if __name__ == "__main__":
    main()
