"""Writes the golden forward values of d2l's BERTModel, computed by PyTorch, for jbert's PyTorchGoldenTest.

The model is the PyTorch BERTModel of tools/check_pytorch.py (d2l's modules and state_dict names), in eval mode (no
dropout), with a small fixed config and weights drawn here from a fixed torch seed. Every parameter is random, the
LayerNorm scales and shifts too (PyTorch initialises them to 1 and 0, which would hide a swapped or ignored gamma/beta).

Regenerate (from the project root; needs torch and safetensors):

    python3 tools/make_golden_forward.py

It writes, under src/test/resources/golden/:
  - bert_weights.safetensors: the float32 state_dict (45 tensors), the config in the metadata;
  - bert_forward.safetensors: the input (tokens, segments, valid_lens, pred_positions) and d2l's outputs (encoded X
    (B, T, H), MLM logits (B, P, V) at pred_positions, NSP logits (B, 2)) twice: from the float32 model
    (`*_f32`) and from the same weights widened to float64 (`*_f64`).

The checked-in files were made with torch 2.13.0+cpu (safetensors 0.8.0, Python 3); the torch version is also in
the files' metadata. A rerun gives the same tensors bit for bit (the header's metadata entries may come out in another
order). The weights are a function of the seed and torch's CPU generator; if a future torch draws differently, the
new files are just as valid (jbert must match whatever PyTorch computes), and the test's tolerances still hold.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_pytorch import BERTModel  # noqa: E402  (d2l's model, written out once)

CONFIG = {"vocab_size": 50, "hidden": 16, "ffn_hidden": 32, "heads": 2, "layers": 2, "dropout": 0.2,
          "max_positions": 64}
SEED = 20240611

# three sequences of 12 positions: a full one, and two padded with <pad> (id 1) past their valid length
# (<cls> = 3, <sep> = 4, as in jbert's vocabulary; the model itself gives ids no meaning)
TOKENS = [[3, 17, 22, 5, 41, 4, 9, 30, 2, 11, 48, 4],
          [3, 2, 8, 4, 25, 2, 33, 4, 1, 1, 1, 1],
          [3, 49, 4, 7, 4, 1, 1, 1, 1, 1, 1, 1]]
SEGMENTS = [[0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0],
            [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]]
VALID_LENS = [12.0, 8.0, 5.0]
# d2l pads pred_positions with 0; a position may repeat; the last one of row 0 is the final position
PRED_POSITIONS = [[1, 8, 3, 11],
                  [1, 5, 5, 0],
                  [3, 1, 0, 0]]


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "golden")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(SEED)
    model = BERTModel(CONFIG)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".ln.weight") or name == "mlm.mlp.2.weight":
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif name.endswith(".ln.bias") or name == "mlm.mlp.2.bias":
                p.copy_(0.2 * torch.randn_like(p))
    model.eval()
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    assert len(state) == 45, len(state)
    meta = {"config": json.dumps(CONFIG, sort_keys=True), "seed": str(SEED), "torch": torch.__version__}
    save_file(state, os.path.join(out_dir, "bert_weights.safetensors"), metadata=meta)

    tokens = torch.tensor(TOKENS, dtype=torch.int64)
    segments = torch.tensor(SEGMENTS, dtype=torch.int64)
    valid_lens = torch.tensor(VALID_LENS, dtype=torch.float32)
    positions = torch.tensor(PRED_POSITIONS, dtype=torch.int64)
    tensors = {"tokens": tokens, "segments": segments, "valid_lens": valid_lens, "pred_positions": positions}
    with torch.no_grad():
        for suffix, dtype in (("f32", torch.float32), ("f64", torch.float64)):
            m = model.to(dtype)
            encoded, mlm, nsp = m(tokens, segments, valid_lens.to(dtype), positions)
            tensors[f"encoded_{suffix}"] = encoded.contiguous()
            tensors[f"mlm_logits_{suffix}"] = mlm.contiguous()
            tensors[f"nsp_logits_{suffix}"] = nsp.contiguous()
            print(f"{suffix}: encoded {list(encoded.shape)} max |x| {encoded.abs().max():.3f}, "
                  f"mlm {list(mlm.shape)} max |x| {mlm.abs().max():.3f}, nsp {nsp.tolist()}")
    diff = (tensors["encoded_f32"].double() - tensors["encoded_f64"]).abs().max().item()
    print(f"float32 against float64 PyTorch, encoded: max |diff| {diff:.2e}")
    save_file(tensors, os.path.join(out_dir, "bert_forward.safetensors"), metadata=meta)
    for f in ("bert_weights.safetensors", "bert_forward.safetensors"):
        print(f, os.path.getsize(os.path.join(out_dir, f)), "bytes")


if __name__ == "__main__":
    main()
