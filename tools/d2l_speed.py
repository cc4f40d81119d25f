"""Speed of d2l's own pretraining loop on the installed PyTorch, for comparison with `./jbert bench`.

d2l's BERTModel (from check_pytorch.py beside this file), d2l's step (forward with the MLM head on all 10 prediction
slots of every pair, weighted MLM cross-entropy + NSP cross-entropy, backward, Adam lr 3e-3), batch 512 at max_len
64, d2l's settings (H 128, F 256, 2 heads, 2 blocks, dropout 0.2, vocabulary 20256). The batches are random with the
reference data's shapes: d2l pads every pair to 64, so a step's work does not depend on which tokens it holds.
Usage: python3 tools/d2l_speed.py [--steps 10] [--warmup 3] [--bf16]   (prints pairs/s of the timed steps)
"""
import argparse
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_pytorch import BERTModel  # noqa: E402


def batch(g, b=512, t=64, p=10, vocab=20256):
    valid = torch.randint(20, t + 1, (b,), generator=g)
    tokens = torch.randint(5, vocab, (b, t), generator=g)
    segments = (torch.arange(t)[None, :] >= (valid // 2)[:, None]).long()
    positions = torch.stack([torch.randperm(int(v), generator=g)[:p] for v in valid])
    n = torch.clamp((valid.float() * 0.15).round().long(), 1, p)
    weights = (torch.arange(p)[None, :] < n[:, None]).float()
    labels = torch.randint(5, vocab, (b, p), generator=g)
    nsp = torch.randint(0, 2, (b,), generator=g)
    return tokens, segments, valid.float(), positions, weights, labels, nsp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--bf16", action="store_true")
    a = ap.parse_args()
    torch.manual_seed(0)
    cfg = {"vocab_size": 20256, "hidden": 128, "ffn_hidden": 256, "heads": 2, "layers": 2, "dropout": 0.2,
           "max_positions": 1000}
    net = BERTModel(cfg)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    ce = nn.CrossEntropyLoss(reduction="none")
    g = torch.Generator().manual_seed(1)
    batches = [batch(g) for _ in range(4)]
    seconds = 0.0
    for step in range(a.warmup + a.steps):
        tokens, segments, valid, positions, weights, labels, nsp = batches[step % len(batches)]
        t0 = time.perf_counter()
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            _, mlm_hat, nsp_hat = net(tokens, segments, valid, positions)
        mlm = (ce(mlm_hat.float().reshape(-1, cfg["vocab_size"]), labels.reshape(-1)) * weights.reshape(-1)).sum() \
            / (weights.sum() + 1e-8)
        loss = mlm + ce(nsp_hat.float(), nsp).mean()
        loss.backward()
        opt.step()
        if step >= a.warmup:
            seconds += time.perf_counter() - t0
    print(f"d2l loop, torch {torch.__version__}, {'bf16 autocast' if a.bf16 else 'fp32'}, "
          f"{torch.get_num_threads()} threads: {512 * a.steps / seconds:.1f} sentence pairs/s")


if __name__ == "__main__":
    main()
