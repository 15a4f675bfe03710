// One LLaMA-style decoder layer in the accel dialect, compressed the AccLLM way:
// 2:4 sparse 2-bit weights (group 32, asymmetric, f16 scales, 2-bit zero
// points), 8-bit per-token activations, a 4-bit KV cache and Λ-shaped
// attention (4 sink tokens + a window of 508). Hidden 64, 4 query heads
// sharing 2 KV heads (head dim 16), SwiGLU FFN of 192. The sequence length is
// dynamic: one layer serves every prompt length.
//
//   accel-opt examples/decoder_layer.mlir --canonicalize --accel-compression-report

!act = tensor<1x?x64xf32>
!kv = tensor<1x?x32xf32>
!ffn = tensor<1x?x192xf32>

func.func @decoder_layer(
    %x: !act, %cos: tensor<?x16xf32>, %sin: tensor<?x16xf32>,
    %attn_norm: tensor<64xf32>, %ffn_norm: tensor<64xf32>,
    %wq: tensor<64x64xi2>, %sq: tensor<64x2xf16>, %zq: tensor<64x2xi2>,
    %wk: tensor<32x64xi2>, %sk: tensor<32x2xf16>, %zk: tensor<32x2xi2>,
    %wv: tensor<32x64xi2>, %sv: tensor<32x2xf16>, %zv: tensor<32x2xi2>,
    %wo: tensor<64x64xi2>, %so: tensor<64x2xf16>, %zo: tensor<64x2xi2>,
    %wg: tensor<192x64xi2>, %sg: tensor<192x2xf16>, %zg: tensor<192x2xi2>,
    %wu: tensor<192x64xi2>, %su: tensor<192x2xf16>, %zu: tensor<192x2xi2>,
    %wd: tensor<64x192xi2>, %sd: tensor<64x6xf16>, %zd: tensor<64x6xi2>) -> !act {
  // Attention block.
  %h = accel.rmsnorm %x, %attn_norm epsilon(1.0e-5) : !act, tensor<64xf32> loc("layers.0/input_layernorm")
  %q = accel.linear %h, %wq scales(%sq : tensor<64x2xf16>) zero_points(%zq : tensor<64x2xi2>)
         {weight_quant = #accel.quant<bits = 2, group = 32, asymmetric>,
          act_quant = #accel.quant<bits = 8, per_channel, symmetric>,
          sparsity = #accel.sparsity<2:4>} : !act, tensor<64x64xi2> -> !act loc("layers.0/self_attn/q_proj")
  %k = accel.linear %h, %wk scales(%sk : tensor<32x2xf16>) zero_points(%zk : tensor<32x2xi2>)
         {weight_quant = #accel.quant<bits = 2, group = 32, asymmetric>,
          act_quant = #accel.quant<bits = 8, per_channel, symmetric>,
          sparsity = #accel.sparsity<2:4>} : !act, tensor<32x64xi2> -> !kv loc("layers.0/self_attn/k_proj")
  %v = accel.linear %h, %wv scales(%sv : tensor<32x2xf16>) zero_points(%zv : tensor<32x2xi2>)
         {weight_quant = #accel.quant<bits = 2, group = 32, asymmetric>,
          act_quant = #accel.quant<bits = 8, per_channel, symmetric>,
          sparsity = #accel.sparsity<2:4>} : !act, tensor<32x64xi2> -> !kv loc("layers.0/self_attn/v_proj")
  %qr = accel.rope rotate_half %q, %cos, %sin heads(4) : !act, tensor<?x16xf32> loc("layers.0/self_attn/rope_q")
  %kr = accel.rope rotate_half %k, %cos, %sin heads(2) : !kv, tensor<?x16xf32> loc("layers.0/self_attn/rope_k")
  %a = accel.attention %qr, %kr, %v heads(4, 2) causal
         {lambda = #accel.lambda<sink = 4, window = 508>,
          kv_quant = #accel.quant<bits = 4, group = 16, asymmetric>}
         : !act, !kv, !kv -> !act loc("layers.0/self_attn/attention")
  %o = accel.linear %a, %wo scales(%so : tensor<64x2xf16>) zero_points(%zo : tensor<64x2xi2>)
         {weight_quant = #accel.quant<bits = 2, group = 32, asymmetric>,
          act_quant = #accel.quant<bits = 8, per_channel, symmetric>,
          sparsity = #accel.sparsity<2:4>} : !act, tensor<64x64xi2> -> !act loc("layers.0/self_attn/o_proj")
  %r1 = arith.addf %x, %o : !act loc("layers.0/residual_1")

  // SwiGLU feed-forward block.
  %f = accel.rmsnorm %r1, %ffn_norm epsilon(1.0e-5) : !act, tensor<64xf32> loc("layers.0/post_attention_layernorm")
  %g = accel.linear %f, %wg scales(%sg : tensor<192x2xf16>) zero_points(%zg : tensor<192x2xi2>)
         {weight_quant = #accel.quant<bits = 2, group = 32, asymmetric>,
          act_quant = #accel.quant<bits = 8, per_channel, symmetric>,
          sparsity = #accel.sparsity<2:4>} : !act, tensor<192x64xi2> -> !ffn loc("layers.0/mlp/gate_proj")
  %u = accel.linear %f, %wu scales(%su : tensor<192x2xf16>) zero_points(%zu : tensor<192x2xi2>)
         {weight_quant = #accel.quant<bits = 2, group = 32, asymmetric>,
          act_quant = #accel.quant<bits = 8, per_channel, symmetric>,
          sparsity = #accel.sparsity<2:4>} : !act, tensor<192x64xi2> -> !ffn loc("layers.0/mlp/up_proj")
  %s = accel.activation silu %g, %u : !ffn, !ffn loc("layers.0/mlp/swiglu")
  %d = accel.linear %s, %wd scales(%sd : tensor<64x6xf16>) zero_points(%zd : tensor<64x6xi2>)
         {weight_quant = #accel.quant<bits = 2, group = 32, asymmetric>,
          act_quant = #accel.quant<bits = 8, per_channel, symmetric>,
          sparsity = #accel.sparsity<2:4>} : !ffn, tensor<64x192xi2> -> !act loc("layers.0/mlp/down_proj")
  %r2 = arith.addf %r1, %d : !act loc("layers.0/residual_2")
  return %r2 : !act
}
