"""Checks a folder written by `jbert export --format hf` against Hugging Face transformers and against an independent
re-implementation of BertForPreTraining, and both against jbert's own outputs.

1. transformers' BertForPreTraining.from_pretrained(DIR) must report no missing, unexpected or mismatched keys.
2. The re-implementation below (module names and math of transformers' modeling_bert.py, written out here, nothing
   imported from transformers) loads model.safetensors with load_state_dict(strict=True); the tied decoder weight must
   equal the word embeddings. On a padded batch of two inputs it must give transformers' encoder output, MLM logits
   and NSP logits.
3. jbert's outputs on the same inputs, saved beforehand from the exported folder (or the run folder), must match:

    ./jbert encode --model DIR "a crane driver came" --pair "he just left" --json > encode.json
    ./jbert next-sentence --model DIR "a crane driver came" "he just left" --json > next.json
    ./jbert fill-mask --model DIR "the game was released in <mask>" --top 5 --json > fill.json
    python3 tools/check_hf.py DIR encode.json next.json fill.json ["the game was released in <mask>"]

jbert's NSP probability is "b follows a", which is Hugging Face's label 0 (the export swapped the classifier's rows).
Prints the largest differences (relative to the largest value compared, at least 1) and exits 1 when one is above 1e-4.
"""
import json
import math
import sys

import torch
from safetensors.torch import load_file
from torch import nn


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, input_ids, token_type_ids):
        positions = torch.arange(input_ids.shape[1])[None, :]
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids) \
            + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["num_attention_heads"]
        h = c["hidden_size"]
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def split(self, x):  # (B, T, H) -> (B, heads, T, d)
        b, t, _ = x.shape
        return x.view(b, t, self.heads, -1).transpose(1, 2)

    def forward(self, x, additive_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + additive_mask
        probs = self.dropout(torch.softmax(scores, dim=-1))
        out = (probs @ v).transpose(1, 2)
        return out.reshape(out.shape[0], out.shape[1], -1)


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, hidden, residual):
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))  # hidden_act "gelu": the erf form


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["intermediate_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, hidden, residual):
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c)

    def forward(self, input_ids, token_type_ids, attention_mask):
        # BertModel's extended attention mask: 0 for real keys, the dtype's minimum for padded ones
        additive = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.encoder(self.embeddings(input_ids, token_type_ids), additive)
        return x, self.pooler(x)


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        return self.LayerNorm(nn.functional.gelu(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = BertPredictionHeadTransform(c)
        self.decoder = nn.Linear(c["hidden_size"], c["vocab_size"], bias=True)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.decoder.bias = self.bias  # "an output-only bias for each token", shared as in modeling_bert.py

    def forward(self, x):
        return self.decoder(self.transform(x))


class BertPreTrainingHeads(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)
        self.seq_relationship = nn.Linear(c["hidden_size"], 2)

    def forward(self, sequence, pooled):
        return self.predictions(sequence), self.seq_relationship(pooled)


class BertForPreTraining(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c)
        self.cls = BertPreTrainingHeads(c)

    def forward(self, input_ids, token_type_ids, attention_mask):
        sequence, pooled = self.bert(input_ids, token_type_ids, attention_mask)
        mlm, nsp = self.cls(sequence, pooled)
        return sequence, mlm, nsp


def relative(a, b):
    """max |a - b| over the scale of the values compared (at least 1): the measure jbert's tests use."""
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return ((a - b).abs().max() / max(1.0, b.abs().max().item())).item()


def main(folder, encode_json, next_json, fill_json, fill_text="the game was released in <mask>"):
    import transformers

    config = json.load(open(f"{folder}/config.json"))
    vocab = [line.rstrip("\n") for line in open(f"{folder}/vocab.txt", encoding="utf-8")]
    ids = {t: i for i, t in enumerate(vocab)}
    special = json.load(open(f"{folder}/special_tokens_map.json"))
    worst = 0.0

    hf, info = transformers.BertForPreTraining.from_pretrained(folder, output_loading_info=True)
    hf.eval()
    problems = {k: sorted(v) for k, v in info.items() if v}
    print(f"transformers {transformers.__version__} from_pretrained: "
          f"{'no missing, unexpected or mismatched keys' if not problems else problems}")

    ours = BertForPreTraining(config)
    state = load_file(f"{folder}/model.safetensors")
    ours.load_state_dict(state, strict=True)  # every key, every shape (the tied ones included)
    ours.eval()
    tied = relative(state["cls.predictions.decoder.weight"], state["bert.embeddings.word_embeddings.weight"])
    print(f"decoder weight vs word embeddings (tied): {tied:.1e}")
    worst = max(worst, tied)

    enc = json.load(open(encode_json))
    pair = enc["tokens"]
    first_sep = pair.index(special["sep_token"])
    fill = [special["cls_token"]] + fill_text.lower().split() + [special["sep_token"]]
    inputs = [(pair, [0] * (first_sep + 1) + [1] * (len(pair) - first_sep - 1)), (fill, [0] * len(fill))]
    t = max(len(tokens) for tokens, _ in inputs)
    pad = ids[special["pad_token"]]
    input_ids = torch.tensor([[ids.get(w, ids[special["unk_token"]]) for w in tk] + [pad] * (t - len(tk))
                              for tk, _ in inputs])
    token_types = torch.tensor([seg + [0] * (t - len(seg)) for _, seg in inputs])
    attention = torch.tensor([[1] * len(tk) + [0] * (t - len(tk)) for tk, _ in inputs])

    with torch.no_grad():
        out = hf(input_ids=input_ids, token_type_ids=token_types, attention_mask=attention,
                 output_hidden_states=True)
        sequence, mlm, nsp = ours(input_ids, token_types, attention)
        for name, a, b in [("encoder output", sequence, out.hidden_states[-1]),
                           ("MLM logits", mlm, out.prediction_logits),
                           ("NSP logits", nsp, out.seq_relationship_logits)]:
            # padded positions' rows are compared too: both implementations compute them the same way
            d = relative(a, b)
            print(f"re-implementation vs transformers, {name} {list(a.shape)}: {d:.2e}")
            worst = max(worst, d)

        n = len(pair)
        d = relative(torch.tensor(enc["encoding"]), out.hidden_states[-1][0, :n])
        print(f"jbert encode vs transformers, {list(enc['shape'])}: {d:.2e}")
        worst = max(worst, d)

        p_next = torch.softmax(out.seq_relationship_logits[0], dim=-1)[0].item()  # HF label 0 = is next
        d = abs(p_next - json.load(open(next_json))["is_next_probability"])
        print(f"jbert next-sentence vs transformers' P(label 0 = is next) {p_next:.6f}: {d:.2e}")
        worst = max(worst, d)

        for mask in json.load(open(fill_json))["masks"]:
            probs = torch.softmax(out.prediction_logits[1, mask["position"]], dim=-1)
            d = max(abs(probs[ids[p["token"]]].item() - p["probability"]) for p in mask["predictions"])
            print(f"jbert fill-mask at {mask['position']} vs transformers: top {vocab[int(probs.argmax())]!r} "
                  f"(jbert {mask['predictions'][0]['token']!r}), probabilities {d:.2e}")
            worst = max(worst, d)
    ok = not problems and worst < 1e-4
    print(f"worst difference {worst:.2e}: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(*sys.argv[1:6])
