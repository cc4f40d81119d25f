"""Writes the golden outputs of Hugging Face transformers' BertForPreTraining for jbert's HfGoldenTest.

A tiny BERT (vocabulary 50, H 16, 2 layers, 2 heads, intermediate 32, 20 positions) is built by transformers itself,
every parameter then drawn from a fixed torch seed (LayerNorm scales and shifts and biases too: transformers
initialises them to 1 and 0, which would hide a swapped or ignored one), and saved with save_pretrained, so the
folder is exactly what transformers writes. Its outputs in eval mode (no dropout) on a padded batch of three inputs
are the golden values.

Regenerate (from the project root; needs torch, transformers and safetensors, no network):

    python3 tools/make_golden_hf.py

It writes, under src/test/resources/golden/:
  - hf_tiny/config.json, hf_tiny/model.safetensors: the model folder as save_pretrained writes it (the tied decoder
    weight and bias are not in the file; transformers ties them on load);
  - hf_forward.safetensors: the input (input_ids, token_type_ids, attention_mask, valid_lens) and transformers'
    outputs: last hidden state (B, T, H), prediction logits (B, T, V), seq_relationship logits (B, 2), in float32
    (`*_f32`) and from the same weights widened to float64 (`*_f64`).

The checked-in files were made with transformers 5.18.0 and torch 2.13.0+cpu; both versions are in the metadata.
"""
import os

import torch
import transformers
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "golden")


def main():
    torch.manual_seed(2026)
    config = transformers.BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=32, max_position_embeddings=20, type_vocab_size=2,
                                     hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, pad_token_id=1)
    model = transformers.BertForPreTraining(config)
    with torch.no_grad():
        for name, p in model.named_parameters():  # the tied decoder weight is the word embeddings: drawn once
            p.copy_(torch.randn_like(p) * (0.5 if p.dim() > 1 else 0.3) + (1.0 if "LayerNorm.weight" in name else 0))
    model.eval()
    folder = os.path.join(OUT, "hf_tiny")
    model.save_pretrained(folder)

    valid = [12, 8, 5]  # one full row, two padded ones: the key mask matters
    b, t = len(valid), 12
    g = torch.Generator().manual_seed(7)
    input_ids = torch.randint(5, 50, (b, t), generator=g)
    token_types = torch.zeros(b, t, dtype=torch.long)
    attention = torch.zeros(b, t, dtype=torch.long)
    for i, n in enumerate(valid):
        input_ids[i, n:] = config.pad_token_id
        token_types[i, n // 2:n] = 1
        attention[i, :n] = 1
    tensors = {"input_ids": input_ids, "token_type_ids": token_types, "attention_mask": attention,
               "valid_lens": torch.tensor(valid, dtype=torch.float32)}
    for suffix, dtype in [("f32", torch.float32), ("f64", torch.float64)]:
        m = model.to(dtype)
        with torch.no_grad():
            out = m(input_ids=input_ids, token_type_ids=token_types, attention_mask=attention,
                    output_hidden_states=True)
        tensors["encoded_" + suffix] = out.hidden_states[-1].contiguous()
        tensors["mlm_logits_" + suffix] = out.prediction_logits.contiguous()
        tensors["nsp_logits_" + suffix] = out.seq_relationship_logits.contiguous()
    save_file(tensors, os.path.join(OUT, "hf_forward.safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})
    print("wrote", folder, "and hf_forward.safetensors")


if __name__ == "__main__":
    main()
