#!/usr/bin/env python3
"""Reference PyTorch implementation of binding_music's training step, for throughput comparison with musicrep.

Model and loss as binding_music's modelling/model.py (SEEDS_SPEC A2/A3), on the two modalities musicrep trains
on (audio 128-d, graph 128-d), published configuration C=2, E=4, 128-d embedding:

    audio_encoder    = Linear(128 -> 64) + ReLU
    graph_encoder    = Linear(128 -> 64) + ReLU
    combined_encoder = Linear(128 -> 512) + ReLU + Linear(512 -> 128)          (148,224 parameters)
    d = F.pairwise_distance(anchor_emb, query_emb, p=2)   # ||a - q + 1e-6||_2
    L = mean(0.5 * y * d^2 + (1 - y) * clamp(0.5 - d, min=0)^2)
    torch.optim.Adam(lr=1e-3), batch 32, fp32, nn.Linear default initialisation; on the CPU, or on a GPU with
    --device cuda (features, pairs and model on the device; TF32 matmuls off, so it computes in fp32 as musicrep).

Data: synthetic, of the shape of musicrep's BenchmarkTrainEpoch: 822 tracks x (128 + 128) float32 features and
6,576 labelled pairs (8 per track), reshuffled every epoch; an epoch is 206 steps (205 of 32 pairs, one of 16).
A plain PyTorch loop (no Lightning, no DataLoader): each step gathers the batch rows by index, as musicrep's
batcher does, runs forward + backward + Adam, and reads the loss with .item() (musicrep reads it every step too).

--mode seed   : the seed's forward(anchor, query): the encoder is called twice, once per side (the reference).
--mode concat : anchors and queries stacked into one [2B, D] batch and encoded once, as musicrep's graph does.

One warm-up epoch is run first and not timed; then --epochs epochs are timed one by one. Prints one JSON object.
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


class Binding(nn.Module):
    def __init__(self, audio=128, graph=128, contraction=2, expansion=4, embedding=128):
        super().__init__()
        a, g = audio // contraction, graph // contraction
        self.audio_encoder = nn.Sequential(nn.Linear(audio, a), nn.ReLU())
        self.graph_encoder = nn.Sequential(nn.Linear(graph, g), nn.ReLU())
        cat = a + g
        self.combined_encoder = nn.Sequential(
            nn.Linear(cat, cat * expansion), nn.ReLU(), nn.Linear(cat * expansion, embedding))

    def embed(self, audio, graph):
        # Concatenation order [audio, image, text, graph]; image and text are absent here.
        return self.combined_encoder(torch.cat([self.audio_encoder(audio), self.graph_encoder(graph)], dim=-1))

    def forward(self, anchor, query):
        return self.embed(*anchor), self.embed(*query)


def margin_loss(anchor_emb, query_emb, labels, margin=0.5):
    d = F.pairwise_distance(anchor_emb, query_emb, p=2)  # eps=1e-6 added to the difference
    pos = 0.5 * labels * d.pow(2)
    neg = (1 - labels) * torch.clamp(margin - d, min=0).pow(2)
    return (pos + neg).mean()


def synthetic(n_tracks=822, pairs_per_track=8, dim=128, clusters=20, seed=5):
    rng = np.random.default_rng(seed)
    label = np.arange(n_tracks) % clusters
    feats = []
    for _ in range(2):
        centres = rng.standard_normal((clusters, dim)).astype(np.float32)
        feats.append(torch.from_numpy(
            centres[label] + 0.3 * rng.standard_normal((n_tracks, dim)).astype(np.float32)))
    anchor = np.repeat(np.arange(n_tracks), pairs_per_track)
    other = rng.integers(0, n_tracks, size=anchor.shape[0])
    y = (label[anchor] == label[other]).astype(np.float32)
    return feats, torch.from_numpy(anchor), torch.from_numpy(other), torch.from_numpy(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=5, help="timed epochs (after one warm-up epoch)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--pairs-per-track", type=int, default=8)
    ap.add_argument("--mode", choices=["seed", "concat"], default="seed")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--device", default="cpu", help="cpu, or cuda (a GPU)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
    (audio, graph), anchor, other, y = synthetic(pairs_per_track=args.pairs_per_track)
    audio, graph, anchor, other, y = (t.to(dev) for t in (audio, graph, anchor, other, y))
    n = anchor.shape[0]
    model = Binding().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(args.seed)
    bs = args.batch_size

    def epoch():
        perm = torch.randperm(n, generator=gen).to(dev)
        total = 0.0
        for lo in range(0, n, bs):
            idx = perm[lo:lo + bs]
            a, o, lab = anchor[idx], other[idx], y[idx]
            if args.mode == "seed":
                ea, eq = model((audio[a], graph[a]), (audio[o], graph[o]))
            else:
                both = torch.cat([a, o])
                emb = model.embed(audio[both], graph[both])
                ea, eq = emb[:len(idx)], emb[len(idx):]
            loss = margin_loss(ea, eq, lab)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
        return total / ((n + bs - 1) // bs)

    warm_loss = epoch()  # warm-up, not timed
    times, losses = [], []
    for _ in range(args.epochs):
        t0 = time.perf_counter()
        losses.append(epoch())
        times.append(time.perf_counter() - t0)
    pps = [n / t for t in times]
    out = {
        "implementation": f"pytorch ({args.mode} forward)",
        "torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
        "threads": torch.get_num_threads(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "device": str(dev), "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None,
        "mode": args.mode, "batch_size": bs, "pairs_per_epoch": n,
        "params": sum(p.numel() for p in model.parameters()),
        "warmup_epoch_loss": warm_loss, "epoch_losses": losses,
        "epoch_seconds": times, "pairs_per_s": pps,
        "pairs_per_s_min": min(pps), "pairs_per_s_median": statistics.median(pps), "pairs_per_s_max": max(pps),
        "loadavg": open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else None,
    }
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
