#!/usr/bin/env python3
"""Reference PyTorch implementation of contrastive-mir-learning's audio CNN training step and inference, for
throughput comparison with musicrep's BenchmarkAudioTrainStep / BenchmarkAudioInference (musicrep/cmir).

Model (SEEDS_SPEC B2.1, and as musicrep/cmir/model.go builds it), input mel crops [B, 48 bands, 256 frames]
in the proper orientation (musicrep's default; the seed's training reshape, B7.1, moves no more data):

    view(B, 1, 48, 256) -> BatchNorm2d(1)
    7 x Conv_2d: Conv2d(3x3, padding 1, stride 1, bias) -> BatchNorm2d -> ReLU -> MaxPool2d(pool)
                 widths 128,128,256,256,256,256,512; pools 2, 2, 2, 2, (1,2), (1,2), 2
    flatten -> z [B, 1024]
    fc_audio: Linear(1024->512) -> BatchNorm1d(512) -> ReLU -> Dropout(0.5) -> Linear(512->128)
              -> LayerNorm(128, eps 1e-6) -> z_d                                   (3,989,762 parameters)

Training step (--mode train): the full model of trainer.py (contrastive_MF_gnr, musicrep's variant
"contrastive"): L = L(z_audio, z_tags) + L(z_audio, z_cf) + L(z_cf, z_tags), each utils.contrastive_loss
(NT-Xent, t = 0.1, +1e-5 inside the log; B3.1), with TagSelfAttentionEncoder (4 heads, d 128, trainable
250x128 embedding table, dropout 0.1, padding keys masked; B2.2; 294,400 parameters) over <= 10 genre ids and
CFEncoder (Linear(301->128) -> ReLU -> Dropout(0.3) -> Linear(128->128) -> LayerNorm; B2.4; 55,424
parameters); torch.optim.Adam(lr 1e-4, weight_decay 1e-4) over the three modules; all modules in train mode.
Each step builds the batch on the host as musicrep's Data.batch does (random 256-frame crops of 1,300-frame
songs, CF vectors, padded genre ids, genre multi-hot), then forward, backward, optimizer step, loss.item().

Inference (--mode infer): the audio encoder in eval mode under torch.inference_mode() on one spectrogram of
B x 256 frames cut into B chunks (musicrep's Embedder.Embed / the seed's encode.py), returning z and z_d
averaged over the chunks as NumPy arrays.

One song = one 256-frame crop. --warmup untimed steps first, then --reps repetitions of --steps timed steps;
songs/s per repetition = steps * batch / seconds. fp32, torch.set_num_threads(--threads); on the CPU, or on a
GPU with --device cuda (modules on the device, each batch copied to it; TF32 off for matmuls and cuDNN
convolutions, so the GPU computes in fp32; cudnn.benchmark on). Synthetic data
of the real shapes, fixed seeds. Prints one JSON object.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BANDS, CROP, SONG_FRAMES = 48, 256, 1300
EMB, CF_DIM, MAX_TAGS, VOCAB, HEADS = 128, 301, 10, 249, 4
POOLS = [(2, 2), (2, 2), (2, 2), (2, 2), (1, 2), (1, 2), (2, 2)]
# musicrep/cmir/train.go Presets: conv widths and fc hidden units.
PRESETS = {
    "paper": ((128, 128, 256, 256, 256, 256, 512), 512),
    "small": ((16, 16, 32, 32, 32, 32, 64), 128),
    "tiny": ((4, 4, 8, 8, 8, 8, 8), 32),
}
PAPER_AUDIO_PARAMS = 3_989_762  # SEEDS_SPEC B2.1


def expected_audio_params(widths, hidden):
    """musicrep's AudioConfig.NumParams: trainable parameters, BatchNorm running statistics excluded."""
    n, cin = 2, 1
    for w in widths:
        n += 9 * cin * w + w + 2 * w
        cin = w
    flat = widths[-1] * 2
    return n + flat * hidden + hidden + 2 * hidden + hidden * EMB + EMB + 2 * EMB


class Conv2dBlock(nn.Module):
    """The seed's Conv_2d: Conv2d(3x3, padding 1) -> BatchNorm2d -> ReLU -> MaxPool2d(pooling)."""

    def __init__(self, cin, cout, pooling):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=1, padding=1)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.mp = nn.MaxPool2d(pooling)

    def forward(self, x):
        return self.mp(self.relu(self.bn(self.conv(x))))


class AudioEncoder(nn.Module):
    def __init__(self, widths, hidden, dropout=0.5, size_w_rep=EMB):
        super().__init__()
        self.spec_bn = nn.BatchNorm2d(1)
        blocks, cin = [], 1
        for w, p in zip(widths, POOLS):
            blocks.append(Conv2dBlock(cin, w, p))
            cin = w
        self.layers = nn.Sequential(*blocks)
        flat = widths[-1] * 2  # 48x256 -> 1x2 positions
        self.fc_audio = nn.Sequential(
            nn.Linear(flat, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, size_w_rep), nn.LayerNorm(size_w_rep, eps=1e-6))

    def forward(self, mel):  # mel [B, 48, 256]
        x = self.spec_bn(mel.view(-1, 1, BANDS, CROP))
        x = self.layers(x)
        z = x.view(x.size(0), -1)
        return z, self.fc_audio(z)


class TagSelfAttentionEncoder(nn.Module):
    """The seed's TagSelfAttentionEncoder(10, 128, 4, 128, 128, 128, emb_file, 0.1)."""

    def __init__(self, table, n_head=HEADS, d_model=EMB, d_k=EMB, d_v=EMB, dropout=0.1):
        super().__init__()
        self.n_head, self.d_k, self.d_v = n_head, d_k, d_v
        self.word_embedding = nn.Embedding.from_pretrained(torch.from_numpy(table), freeze=False)
        self.w_qs = nn.Linear(d_model, n_head * d_k, bias=False)
        self.w_ks = nn.Linear(d_model, n_head * d_k, bias=False)
        self.w_vs = nn.Linear(d_model, n_head * d_v, bias=False)
        self.fc = nn.Linear(n_head * d_v, d_model, bias=False)
        self.attn_dropout = nn.Dropout(dropout)
        self.dropout = nn.Dropout(dropout)
        self.layer_norm = nn.LayerNorm(d_model, eps=1e-6)

    def forward(self, ids, mask):  # ids [B, L] (0 = padding); mask [B, 1, L] as the trainer passes it
        b, length = ids.shape
        e = self.word_embedding(ids)
        q = self.w_qs(e).view(b, length, self.n_head, self.d_k).transpose(1, 2)
        k = self.w_ks(e).view(b, length, self.n_head, self.d_k).transpose(1, 2)
        v = self.w_vs(e).view(b, length, self.n_head, self.d_v).transpose(1, 2)
        attn = torch.matmul(q / self.d_k ** 0.5, k.transpose(2, 3))
        attn = attn.masked_fill(mask.unsqueeze(1) == 0, -1e9)  # padding keys only
        attn = self.attn_dropout(F.softmax(attn, dim=-1))
        out = torch.matmul(attn, v).transpose(1, 2).contiguous().view(b, length, -1)
        out = self.dropout(self.fc(out))
        return self.layer_norm(out.sum(dim=1))


class CFEncoder(nn.Module):
    def __init__(self, embedding_dim=CF_DIM, d_model=EMB):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(embedding_dim, d_model), nn.ReLU(), nn.Dropout(0.3),
                                 nn.Linear(d_model, d_model), nn.LayerNorm(d_model, eps=1e-6))

    def forward(self, cf):
        return self.net(cf)


def contrastive_loss(z_a, z_b, t=0.1):
    """utils.contrastive_loss: symmetric NT-Xent, cosine similarity without eps, +1e-5 inside the log."""
    z = torch.cat([z_a, z_b], dim=0)
    m, n = z.shape[0], z_a.shape[0]
    norms = z.norm(dim=1)
    sim = torch.mm(z, z.t()) / torch.outer(norms, norms)
    e = torch.exp(sim / t) * (1 - torch.eye(m, dtype=z.dtype, device=z.device))
    idx = torch.arange(m, device=z.device)
    pos = e[idx, (idx + n) % m]
    return -torch.log(pos / e.sum(dim=1) + 1e-5).mean()


def count(module):
    return sum(p.numel() for p in module.parameters())


class SyntheticData:
    """2*batch songs of 48 x 1,300 frames, 301-d CF vectors, 1-10 genre ids out of 249 (as bench_test.go)."""

    def __init__(self, batch, seed=7):
        rng = np.random.default_rng(seed)
        n = 2 * batch
        self.mel = (-40 + 15 * rng.standard_normal((n, BANDS, SONG_FRAMES))).astype(np.float32)
        self.cf = (0.1 * rng.standard_normal((n, CF_DIM))).astype(np.float32)
        self.ids = np.zeros((n, MAX_TAGS), dtype=np.int64)
        for i in range(n):
            k = 1 + rng.integers(MAX_TAGS)
            self.ids[i, :k] = rng.permutation(VOCAB)[:k] + 1
        self.table = np.zeros((VOCAB + 1, EMB), dtype=np.float32)
        self.table[1:] = rng.standard_normal((VOCAB, EMB))
        self.n, self.batch, self.rng = n, batch, rng
        self.order, self.pos = None, n

    def next_batch(self):
        """musicrep's Data.batch: reshuffle at an epoch boundary, random crops, CF, ids, multi-hot."""
        if self.pos + self.batch > self.n:
            self.order, self.pos = self.rng.permutation(self.n), 0
        songs = self.order[self.pos:self.pos + self.batch]
        self.pos += self.batch
        starts = self.rng.integers(0, SONG_FRAMES - CROP, size=len(songs))
        mel = np.stack([self.mel[s, :, a:a + CROP] for s, a in zip(songs, starts)])
        ids = self.ids[songs]
        hot = np.zeros((len(songs), VOCAB), dtype=np.float32)
        rows, cols = np.nonzero(ids)
        hot[rows, ids[rows, cols] - 1] = 1
        return torch.from_numpy(mel), torch.from_numpy(self.cf[songs]), torch.from_numpy(ids), torch.from_numpy(hot)


def loadavg():
    return float(open("/proc/loadavg").read().split()[0]) if os.path.exists("/proc/loadavg") else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["train", "infer"], default="train")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="paper")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps before timing")
    ap.add_argument("--steps", type=int, default=3, help="timed steps per repetition")
    ap.add_argument("--reps", type=int, default=5, help="repetitions")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--device", default="cpu", help="cpu, or cuda (a GPU)")
    args = ap.parse_args()
    if args.batch < 2:
        ap.error("--batch must be >= 2 (NT-Xent needs negatives)")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    widths, hidden = PRESETS[args.preset]
    audio = AudioEncoder(widths, hidden).to(dev)
    audio_params = count(audio)
    want = expected_audio_params(widths, hidden)
    assert audio_params == want, f"audio encoder has {audio_params} parameters, musicrep's NumParams gives {want}"
    if args.preset == "paper":
        assert audio_params == PAPER_AUDIO_PARAMS, f"audio encoder has {audio_params} parameters, want 3,989,762"
    data = SyntheticData(args.batch)
    info = {"audio_params": audio_params, "device": str(dev),
            "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None}

    if args.mode == "train":
        tags, cfenc = TagSelfAttentionEncoder(data.table).to(dev), CFEncoder().to(dev)
        info["tag_params"], info["cf_params"] = count(tags), count(cfenc)
        assert info["tag_params"] == 294_400 and info["cf_params"] == 55_424, info
        modules = [audio, tags, cfenc]
        for m in modules:
            m.train()
        opt = torch.optim.Adam([p for m in modules for p in m.parameters()], lr=1e-4, weight_decay=1e-4)

        def step():
            mel, cf, ids, _hot = (t.to(dev) for t in data.next_batch())
            _, z_audio = audio(mel)
            z_tags = tags(ids, (ids != 0).unsqueeze(1))
            z_cf = cfenc(cf)
            loss = (contrastive_loss(z_audio, z_tags) + contrastive_loss(z_audio, z_cf)
                    + contrastive_loss(z_cf, z_tags))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            value = loss.item()
            if not np.isfinite(value):
                raise SystemExit(f"loss {value}")
            return value
    else:
        audio.eval()
        rng = np.random.default_rng(11)
        song = (-40 + 15 * rng.standard_normal((BANDS, args.batch * CROP))).astype(np.float32)

        def step():
            with torch.inference_mode():
                chunks = np.stack([song[:, c * CROP:(c + 1) * CROP] for c in range(args.batch)])
                z, zd = audio(torch.from_numpy(chunks).to(dev))
                return z.mean(dim=0).cpu().numpy(), zd.mean(dim=0).cpu().numpy()

    load_start = loadavg()
    for _ in range(args.warmup):
        step()
    seconds, cpu_ms = [], []
    for _ in range(args.reps):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.steps):
            step()
        seconds.append(time.perf_counter() - t0)
        # the process's CPU time (all threads, OpenMP's spinning included) per step, as musicrep's cpu-ms/op
        cpu_ms.append(1e3 * (time.process_time() - c0) / args.steps)
    sps = [args.steps * args.batch / s for s in seconds]
    out = {
        "implementation": "pytorch", "mode": args.mode, "preset": args.preset, "batch": args.batch,
        "widths": list(widths), "hidden": hidden, **info,
        "torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
        "threads": torch.get_num_threads(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "warmup_steps": args.warmup, "steps_per_rep": args.steps, "reps": args.reps,
        "rep_seconds": seconds, "songs_per_s": sps, "cpu_ms_per_step": cpu_ms,
        "songs_per_s_min": min(sps), "songs_per_s_median": statistics.median(sps), "songs_per_s_max": max(sps),
        "loadavg_start": load_start, "loadavg_end": loadavg(),
    }
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
