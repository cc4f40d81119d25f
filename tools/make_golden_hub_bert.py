"""Writes a tiny BERT folder laid out as the published ones on the Hugging Face Hub, and transformers' outputs on it.

bert-base-uncased and the other checkpoints Google released and Hugging Face converted differ from what
save_pretrained writes today in three ways that a loader must handle, and this folder has all three:
  - the vocabulary is Google's layout: [PAD]=0, [unused0]..[unused98], [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103,
    then the word pieces (here 40 of them, words and ## pieces, punctuation, two CJK characters);
  - the LayerNorm parameters are named `gamma` and `beta` (TensorFlow's names), which transformers renames to `weight`
    and `bias` on load;
  - the file holds the `bert.embeddings.position_ids` buffer and the tied `cls.predictions.decoder.weight`.
It also has vocab.txt, tokenizer_config.json (do_lower_case) and tokenizer.json, as a Hub folder does.

The golden outputs come from transformers loading this very folder (BertForPreTraining.from_pretrained, eval mode) on
text encoded by transformers' own tokenizer, so they test the loader and the tokenizer together.

Regenerate (from the project root; needs torch, transformers and safetensors, no network):

    python3 tools/make_golden_hub_bert.py

It writes, under src/test/resources/golden/:
  - hub_bert/: config.json, model.safetensors, vocab.txt, tokenizer_config.json, tokenizer.json;
  - hub_bert_forward.safetensors: for each of the inputs below (`a_`, `b_`, `pair_`, `mask_`), the input ids and token types
    transformers' tokenizer gave, the last hidden state (1, T, H), the pooler output (1, H), the prediction logits
    (1, T, V) and the seq_relationship logits (1, 2); float32.
"""
import json
import os
import tempfile

import torch
import transformers
from safetensors.torch import load_file, save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "golden")

WORDS = list(".,!?'") + ["the", "crane", "flew", "over", "river", "a", "driver", "lift", "##ed", "steel", "bird",
                          "##s", "fly", "##ing", "東", "京", "water", "high", "above", "it", "was", "##er", "build",
                          "tower", "at", "dawn", "cafe", "[", "]"]
VOCAB = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS

INPUTS = {
    "a": ("The crane flew over the river.", None),
    "b": ("A crane driver lifted steel at dawn!", None),
    "pair": ("Birds flying high above the water.", "It was a Café in 東京, Zürich?"),
    "mask": ("The [MASK] flew over the [MASK].", None),
}


def main():
    folder = os.path.join(OUT, "hub_bert")
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(2027)
    config = transformers.BertConfig(vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=40,
                                     type_vocab_size=2, pad_token_id=0)
    model = transformers.BertForPreTraining(config)
    with torch.no_grad():
        for name, p in model.named_parameters():  # LayerNorm and biases drawn too: a swapped or ignored one shows
            p.copy_(torch.randn_like(p) * (0.5 if p.dim() > 1 else 0.3) + (1.0 if "LayerNorm.weight" in name else 0))
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        tensors = load_file(os.path.join(tmp, "model.safetensors"))
        with open(os.path.join(tmp, "config.json")) as f:
            config_json = json.load(f)
    legacy = {}
    for name, t in tensors.items():
        if ".LayerNorm." in name:
            name = name.replace(".LayerNorm.weight", ".LayerNorm.gamma").replace(".LayerNorm.bias", ".LayerNorm.beta")
        legacy[name] = t.contiguous()
    legacy["cls.predictions.decoder.weight"] = tensors["bert.embeddings.word_embeddings.weight"].clone()
    legacy["bert.embeddings.position_ids"] = torch.arange(config.max_position_embeddings).unsqueeze(0)
    save_file(legacy, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config_json, f, indent=2)
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(VOCAB) + "\n")
    tokenizer = transformers.BertTokenizer(vocab={w: i for i, w in enumerate(VOCAB)}, do_lower_case=True)
    tokenizer.save_pretrained(folder)  # tokenizer.json and tokenizer_config.json

    loaded = transformers.BertForPreTraining.from_pretrained(folder).eval()
    golden = {}
    for key, (a, b) in INPUTS.items():
        enc = tokenizer(a, b, return_tensors="pt")
        with torch.no_grad():
            out = loaded(**enc, output_hidden_states=True)
            pooled = loaded.bert(**enc).pooler_output
        golden[key + "_input_ids"] = enc["input_ids"]
        golden[key + "_token_type_ids"] = enc["token_type_ids"]
        golden[key + "_encoded"] = out.hidden_states[-1].contiguous()
        golden[key + "_pooled"] = pooled.contiguous()
        golden[key + "_mlm_logits"] = out.prediction_logits.contiguous()
        golden[key + "_nsp_logits"] = out.seq_relationship_logits.contiguous()
        print(key, tokenizer.convert_ids_to_tokens(enc["input_ids"][0]))
    save_file(golden, os.path.join(OUT, "hub_bert_forward.safetensors"),
              metadata={"transformers": transformers.__version__, "torch": torch.__version__})
    print("wrote", folder, "and hub_bert_forward.safetensors")


if __name__ == "__main__":
    main()
