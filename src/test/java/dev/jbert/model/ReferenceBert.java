package dev.jbert.model;

import java.util.Map;

/**
 * d2l's BERTModel written again in plain Java float64 loops, independent of libtorch, for the golden forward test. Weights
 * are the state_dict tensors flattened row-major; Linear weights are (out, in).
 */
final class ReferenceBert {
  private final BertConfig cfg;
  private final Map<String, double[]> w;

  ReferenceBert(BertConfig cfg, Map<String, double[]> weights) {
    this.cfg = cfg;
    this.w = weights;
  }

  /** One sequence: tokens/segments of length T, keys at index >= validLen masked. Returns (T, H). */
  double[][] encode(int[] tokens, int[] segments, int validLen) {
    int t = tokens.length;
    int h = cfg.hidden();
    double[] tok = w.get("encoder.token_embedding.weight");
    double[] seg = w.get("encoder.segment_embedding.weight");
    double[] pos = w.get("encoder.pos_embedding");
    double[][] x = new double[t][h];
    for (int i = 0; i < t; i++) {
      for (int j = 0; j < h; j++) {
        x[i][j] = tok[tokens[i] * h + j] + seg[segments[i] * h + j] + pos[i * h + j];
      }
    }
    for (int b = 0; b < cfg.layers(); b++) {
      String p = "encoder.blks." + b + ".";
      double[][] attn = attention(x, validLen, p + "attention.");
      double[][] y = layerNorm(add(x, attn), p + "addnorm1.ln");
      double[][] ffn = linear(relu(linear(y, p + "ffn.dense1")), p + "ffn.dense2");
      x = layerNorm(add(y, ffn), p + "addnorm2.ln");
    }
    return x;
  }

  double[][] mlmLogits(double[][] encoded, int[] positions) {
    double[][] rows = new double[positions.length][];
    for (int i = 0; i < positions.length; i++) {
      rows[i] = encoded[positions[i]].clone();
    }
    return linear(layerNorm(relu(linear(rows, "mlm.mlp.0")), "mlm.mlp.2"), "mlm.mlp.3");
  }

  double[] nspLogits(double[][] encoded) {
    double[][] cls = {encoded[0].clone()};
    double[][] hidden = linear(cls, "hidden.0");
    for (int j = 0; j < hidden[0].length; j++) {
      hidden[0][j] = Math.tanh(hidden[0][j]);
    }
    return linear(hidden, "nsp.output")[0];
  }

  private double[][] attention(double[][] x, int validLen, String p) {
    int t = x.length;
    int heads = cfg.heads();
    int d = cfg.headSize();
    double[][] q = linear(x, p + "W_q");
    double[][] k = linear(x, p + "W_k");
    double[][] v = linear(x, p + "W_v");
    double[][] out = new double[t][cfg.hidden()];
    for (int hd = 0; hd < heads; hd++) {
      for (int i = 0; i < t; i++) {
        double[] s = new double[t];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < t; j++) {
          double dot = 0;
          for (int c = 0; c < d; c++) {
            dot += q[i][hd * d + c] * k[j][hd * d + c];
          }
          s[j] = j < validLen ? dot / Math.sqrt(d) : -1e6; // d2l's masked_softmax replaces masked scores
          max = Math.max(max, s[j]);
        }
        double sum = 0;
        for (int j = 0; j < t; j++) {
          s[j] = Math.exp(s[j] - max);
          sum += s[j];
        }
        for (int j = 0; j < t; j++) {
          for (int c = 0; c < d; c++) {
            out[i][hd * d + c] += s[j] / sum * v[j][hd * d + c];
          }
        }
      }
    }
    return linear(out, p + "W_o");
  }

  private double[][] linear(double[][] x, String name) {
    double[] weight = w.get(name + ".weight");
    double[] bias = w.get(name + ".bias");
    int out = bias.length;
    int in = x[0].length;
    double[][] y = new double[x.length][out];
    for (int r = 0; r < x.length; r++) {
      for (int o = 0; o < out; o++) {
        double acc = bias[o];
        for (int i = 0; i < in; i++) {
          acc += x[r][i] * weight[o * in + i];
        }
        y[r][o] = acc;
      }
    }
    return y;
  }

  private double[][] layerNorm(double[][] x, String name) {
    double[] gamma = w.get(name + ".weight");
    double[] beta = w.get(name + ".bias");
    double[][] y = new double[x.length][x[0].length];
    for (int r = 0; r < x.length; r++) {
      int n = x[r].length;
      double mean = 0;
      for (double v : x[r]) {
        mean += v;
      }
      mean /= n;
      double var = 0;
      for (double v : x[r]) {
        var += (v - mean) * (v - mean);
      }
      var /= n; // biased, like torch
      for (int j = 0; j < n; j++) {
        y[r][j] = (x[r][j] - mean) / Math.sqrt(var + 1e-5) * gamma[j] + beta[j];
      }
    }
    return y;
  }

  private static double[][] add(double[][] a, double[][] b) {
    double[][] y = new double[a.length][a[0].length];
    for (int r = 0; r < a.length; r++) {
      for (int j = 0; j < a[0].length; j++) {
        y[r][j] = a[r][j] + b[r][j];
      }
    }
    return y;
  }

  private static double[][] relu(double[][] x) {
    double[][] y = new double[x.length][];
    for (int r = 0; r < x.length; r++) {
      y[r] = x[r].clone();
      for (int j = 0; j < y[r].length; j++) {
        y[r][j] = Math.max(0, y[r][j]);
      }
    }
    return y;
  }
}
