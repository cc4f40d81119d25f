"""Loads a jbert run folder into d2l's BERTModel in PyTorch and compares its outputs with jbert's.

d2l's model is written out below (the module names of d2l's BERTModel, so that the state_dict keys match
model.safetensors); nothing is imported from d2l. Usage, with jbert's JSON outputs saved beforehand:

    ./jbert encode --model RUN "a crane driver came" --pair "he just left" --json > encode.json
    ./jbert next-sentence --model RUN "a crane driver came" "he just left" --json > next.json
    ./jbert fill-mask --model RUN "the game was released in <mask>" --top 5 --json > fill.json
    python3 tools/check_pytorch.py RUN encode.json next.json fill.json

It prints the largest differences and exits 1 when any is above 1e-4.
"""
import json
import math
import sys

import torch
from safetensors.torch import load_file
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, hidden, heads, dropout):
        super().__init__()
        self.heads = heads
        self.dropout = nn.Dropout(dropout)
        self.W_q = nn.Linear(hidden, hidden)
        self.W_k = nn.Linear(hidden, hidden)
        self.W_v = nn.Linear(hidden, hidden)
        self.W_o = nn.Linear(hidden, hidden)

    def split(self, x):  # (B, T, H) -> (B * heads, T, H / heads)
        b, t, h = x.shape
        return x.reshape(b, t, self.heads, -1).permute(0, 2, 1, 3).reshape(b * self.heads, t, -1)

    def forward(self, x, valid_lens):
        q, k, v = self.split(self.W_q(x)), self.split(self.W_k(x)), self.split(self.W_v(x))
        scores = torch.bmm(q, k.transpose(1, 2)) / math.sqrt(q.shape[-1])
        lens = torch.repeat_interleave(valid_lens, self.heads)
        masked = torch.arange(scores.shape[-1])[None, None, :] >= lens[:, None, None]
        weights = torch.softmax(scores.masked_fill(masked, -1e6), dim=-1)
        out = torch.bmm(self.dropout(weights), v)  # (B * heads, T, d)
        b = x.shape[0]
        out = out.reshape(b, self.heads, out.shape[1], -1).permute(0, 2, 1, 3).reshape(b, out.shape[1], -1)
        return self.W_o(out)


class AddNorm(nn.Module):
    def __init__(self, hidden, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm(hidden)

    def forward(self, x, y):
        return self.ln(self.dropout(y) + x)


class PositionWiseFFN(nn.Module):
    def __init__(self, hidden, ffn_hidden):
        super().__init__()
        self.dense1 = nn.Linear(hidden, ffn_hidden)
        self.relu = nn.ReLU()
        self.dense2 = nn.Linear(ffn_hidden, hidden)

    def forward(self, x):
        return self.dense2(self.relu(self.dense1(x)))


class EncoderBlock(nn.Module):
    def __init__(self, hidden, ffn_hidden, heads, dropout):
        super().__init__()
        self.attention = MultiHeadAttention(hidden, heads, dropout)
        self.addnorm1 = AddNorm(hidden, dropout)
        self.ffn = PositionWiseFFN(hidden, ffn_hidden)
        self.addnorm2 = AddNorm(hidden, dropout)

    def forward(self, x, valid_lens):
        y = self.addnorm1(x, self.attention(x, valid_lens))
        return self.addnorm2(y, self.ffn(y))


class BERTEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.token_embedding = nn.Embedding(c["vocab_size"], c["hidden"])
        self.segment_embedding = nn.Embedding(2, c["hidden"])
        self.blks = nn.Sequential(*[EncoderBlock(c["hidden"], c["ffn_hidden"], c["heads"], c["dropout"])
                                    for _ in range(c["layers"])])
        self.pos_embedding = nn.Parameter(torch.randn(1, c["max_positions"], c["hidden"]))

    def forward(self, tokens, segments, valid_lens):
        x = self.token_embedding(tokens) + self.segment_embedding(segments)
        x = x + self.pos_embedding[:, :x.shape[1], :]
        for blk in self.blks:
            x = blk(x, valid_lens)
        return x


class BERTModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.encoder = BERTEncoder(c)
        self.hidden = nn.Sequential(nn.Linear(h, h), nn.Tanh())
        self.mlm = nn.Module()
        self.mlm.mlp = nn.Sequential(nn.Linear(h, h), nn.ReLU(), nn.LayerNorm(h), nn.Linear(h, c["vocab_size"]))
        self.nsp = nn.Module()
        self.nsp.output = nn.Linear(h, 2)

    def forward(self, tokens, segments, valid_lens, pred_positions=None):
        """d2l's BERTModel.forward: (encoded X, MLM logits at pred_positions or None, NSP logits)."""
        x = self.encoder(tokens, segments, valid_lens)
        mlm = None
        if pred_positions is not None:  # d2l's MaskLM: row pred_positions[b, p] of batch b, then the MLP
            rows = x[torch.arange(x.shape[0])[:, None], pred_positions]
            mlm = self.mlm.mlp(rows)
        nsp = self.nsp.output(self.hidden(x[:, 0, :]))
        return x, mlm, nsp


def main(run, encode_json, next_json, fill_json):
    config = json.load(open(f"{run}/config.json"))
    config = config.get("model", config)
    vocab = [line.rstrip("\n") for line in open(f"{run}/vocab.txt", encoding="utf-8")]
    ids = {t: i for i, t in enumerate(vocab)}
    model = BERTModel(config)
    model.load_state_dict(load_file(f"{run}/model.safetensors"), strict=True)  # every key, every shape
    model.eval()
    worst = 0.0

    def forward(tokens, segments):
        t = torch.tensor([[ids.get(w, 0) for w in tokens]])
        return model.encoder(t, torch.tensor([segments]), torch.tensor([float(len(tokens))]))

    enc = json.load(open(encode_json))
    tokens = enc["tokens"]
    first_sep = tokens.index("<sep>")
    segments = [0] * (first_sep + 1) + [1] * (len(tokens) - first_sep - 1)
    with torch.no_grad():
        x = forward(tokens, segments)
        diff = (x[0] - torch.tensor(enc["encoding"])).abs().max().item()
        print(f"encode: shape {list(x.shape)} vs jbert {enc['shape']}, max |diff| {diff:.2e}")
        worst = max(worst, diff)

        p_next = torch.softmax(model.nsp.output(model.hidden(x[:, 0, :])), dim=-1)[0, 1].item()
        diff = abs(p_next - json.load(open(next_json))["is_next_probability"])
        print(f"next-sentence: {p_next:.6f}, |diff| {diff:.2e}")
        worst = max(worst, diff)

        fill = json.load(open(fill_json))
        text = "the game was released in <mask>".split()
        tokens = ["<cls>"] + text + ["<sep>"]
        x = forward(tokens, [0] * len(tokens))
        for mask in fill["masks"]:
            probs = torch.softmax(model.mlm.mlp(x[0, mask["position"]]), dim=-1)
            for p in mask["predictions"]:
                diff = abs(probs[ids[p["token"]]].item() - p["probability"])
                worst = max(worst, diff)
            print(f"fill-mask at {mask['position']}: top {vocab[int(probs.argmax())]!r} "
                  f"(jbert {mask['predictions'][0]['token']!r}), max |diff| of probabilities {worst:.2e}")
    print(f"worst difference {worst:.2e}")
    sys.exit(0 if worst < 1e-4 else 1)


if __name__ == "__main__":
    main(*sys.argv[1:5])
