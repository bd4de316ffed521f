"""Writes batchnorm_golden.json: PyTorch's BatchNorm (training mode, batch statistics) followed by ReLU, forward
and gradients in float64, the reference of encoder.batchNorm's TestBatchNormMatchesPyTorch.

    .venv-bench/bin/python musicrep/encoder/testdata/batchnorm_golden.py > musicrep/encoder/testdata/batchnorm_golden.json

Each case: x (channels-first, feature axis 1), gamma, beta, proj; y = relu(BatchNorm(x)), loss = sum(proj * y);
the gradients of loss with respect to x, gamma and beta; the batch's mean and biased variance per feature
(what the first training step writes into the running averages).
"""
import json
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def case(name, shape, seed):
    rng = np.random.default_rng(seed)
    c = shape[1]
    # A large common offset (as after a convolution with a bias) and per-feature scales.
    x = rng.normal(size=shape) * rng.uniform(0.5, 3.0, size=(1, c) + (1,) * (len(shape) - 2)) + 4.0
    gamma = rng.uniform(0.5, 1.5, size=c)
    beta = rng.normal(size=c) * 0.3
    proj = rng.normal(size=shape)
    bn = torch.nn.BatchNorm2d(c, eps=1e-5) if len(shape) == 4 else torch.nn.BatchNorm1d(c, eps=1e-5)
    bn.train()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
    xt = torch.tensor(x, requires_grad=True)
    y = torch.relu(bn(xt))
    loss = (torch.tensor(proj) * y).sum()
    loss.backward()
    axes = tuple(i for i in range(len(shape)) if i != 1)
    return {
        "name": name, "shape": list(shape),
        "x": x.ravel().tolist(), "gamma": gamma.tolist(), "beta": beta.tolist(), "proj": proj.ravel().tolist(),
        "y": y.detach().numpy().ravel().tolist(), "dx": xt.grad.numpy().ravel().tolist(),
        "dgamma": bn.weight.grad.numpy().tolist(), "dbeta": bn.bias.grad.numpy().tolist(),
        "mean": x.mean(axis=axes).tolist(), "variance": x.var(axis=axes, ddof=0).tolist(),
    }


json.dump({"command": ".venv-bench/bin/python musicrep/encoder/testdata/batchnorm_golden.py > musicrep/encoder/testdata/batchnorm_golden.json", "torch": torch.__version__,
           "cases": [case("conv", (3, 4, 5, 6), 1), case("dense", (7, 5), 2)]}, sys.stdout)
