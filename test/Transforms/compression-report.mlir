// accel-compression-report: text and JSON, per op and in total.
// RUN: accel-opt %s --accel-compression-report -o /dev/null | FileCheck %s --check-prefix=TEXT
// RUN: accel-opt %s --accel-compression-report="format=json" -o /dev/null | FileCheck %s --check-prefix=JSON
// RUN: accel-opt %s --accel-compression-report="format=json output=%t.json" | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s --check-prefix=JSON < %t.json
// RUN: not accel-opt %s --accel-compression-report="format=xml" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADFORMAT
// RUN: not accel-opt %s --accel-compression-report="output=%t.missing/dir/r.txt" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADOUT

// The fp32 embedding: 64 x 16 x 32 bits = 4096 bytes.
// TEXT: op kind shape settings params stored bytes
// TEXT: embed_tokens embedding 64x16 w32 float 1024 4096
// 2:4 + 2-bit, group 8, asymmetric, f16 scales, i8 zero points, 32x16:
// values 256 x 2 + patterns 128 x 3 + scales 64 x 16 + zero points 64 x 8 = 2432 bits.
// TEXT: layers.0.q_proj linear 32x16 w2b g8 asym, a8b per-channel sym, 2:4 512 304
// 4-bit per-channel symmetric, f32 scales: 8 x 16 x 4 + 8 x 32 = 768 bits.
// TEXT: layers.0.k_proj linear 8x16 w4b per-channel sym 128 96
// KV per token: 2 x 1 head x 8 values x 4 bits + 2 groups x (16 + 4) bits = 104 bits = 13 bytes.
// TEXT: layers.0.attn attention kv/token 4/1 heads, kv4b g8 asym, Λ 4+60 cache: 64 tokens 13/token
// TEXT: total: 1664 weight params in 4496 bytes (21.615 bits/param; fp16 would take 3328 bytes: 0.74x compression)
// TEXT: KV cache: 13 bytes per token, at most 64 tokens = 832 bytes

// JSON:      "ops": [
// JSON:          "bytes": 4096,
// JSON:          "kind": "embedding",
// JSON:          "name": "embed_tokens",
// JSON:          "bytes": 304,
// JSON-NEXT:     "cols": 16,
// JSON-NEXT:     "index_bits": 384,
// JSON-NEXT:     "kind": "linear",
// JSON-NEXT:     "name": "layers.0.q_proj",
// JSON-NEXT:     "rows": 32,
// JSON-NEXT:     "scale_bits": 1024,
// JSON-NEXT:     "settings": "w2b g8 asym, a8b per-channel sym, 2:4",
// JSON-NEXT:     "static": true,
// JSON-NEXT:     "value_bits": 512,
// JSON-NEXT:     "zero_point_bits": 512
// JSON:          "kind": "attention",
// JSON-NEXT:     "kv_bytes_per_token": 13,
// JSON-NEXT:     "kv_token_bound": 64,
// JSON:      "total": {
// JSON-NEXT:   "bits_per_param": 21.61
// JSON-NEXT:   "bytes": 4496,
// JSON-NEXT:   "kv_bytes_per_token": 13,
// JSON-NEXT:   "kv_token_bound": 64,
// JSON-NEXT:   "params": 1664

// The pass leaves the IR as it was.
// IR: accel.embedding
// IR: accel.attention

// BADFORMAT: error: accel-compression-report: unknown format 'xml' (expected 'text' or 'json')
// BADOUT: error: accel-compression-report: cannot write '{{.*}}r.txt'

func.func @decoder(%ids: tensor<1x8xi64>, %table: tensor<64x16xf32>,
                   %wq: tensor<32x16xi2>, %sq: tensor<32x2xf16>, %zq: tensor<32x2xi8>,
                   %wk: tensor<8x16xi4>, %sk: tensor<8x1xf32>) -> tensor<1x8x32xf32> {
  %h = accel.embedding %ids, %table : tensor<1x8xi64>, tensor<64x16xf32> -> tensor<1x8x16xf32> loc("embed_tokens")
  %q = accel.linear %h, %wq scales(%sq : tensor<32x2xf16>) zero_points(%zq : tensor<32x2xi8>)
         {weight_quant = #accel.quant<bits = 2, group = 8, asymmetric>,
          act_quant = #accel.quant<bits = 8, per_channel, symmetric>,
          sparsity = #accel.sparsity<2:4>}
         : tensor<1x8x16xf32>, tensor<32x16xi2> -> tensor<1x8x32xf32> loc("layers.0.q_proj")
  %k = accel.linear %h, %wk scales(%sk : tensor<8x1xf32>)
         {weight_quant = #accel.quant<bits = 4, per_channel, symmetric>}
         : tensor<1x8x16xf32>, tensor<8x16xi4> -> tensor<1x8x8xf32> loc("layers.0.k_proj")
  %o = accel.attention %q, %k, %k heads(4, 1) causal
         {lambda = #accel.lambda<sink = 4, window = 60>,
          kv_quant = #accel.quant<bits = 4, group = 8, asymmetric>}
         : tensor<1x8x32xf32>, tensor<1x8x8xf32>, tensor<1x8x8xf32> -> tensor<1x8x32xf32> loc("layers.0.attn")
  return %o : tensor<1x8x32xf32>
}
