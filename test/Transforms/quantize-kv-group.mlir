// The KV cache's quantization group (accel-quantize's kv-group): accelc
// --kv-group, by default the head dim (one scale per token and head).
// RUN: accelc %s --quant=w2a8kv4 --emit=accel | FileCheck %s --check-prefix=HEAD
// RUN: accelc %s --quant=w2a8kv4 --kv-group=8 --emit=accel | FileCheck %s --check-prefix=EIGHT
// RUN: accelc %s --quant=w8a8kv8 --kv-group=0 --emit=accel | FileCheck %s --check-prefix=CHANNEL
// RUN: accelc %s --quant=w2a8kv4 --kv-group=5 --emit=accel 2>&1 | FileCheck %s --check-prefix=UNEVEN
// RUN: not accelc %s --quant=w2a8kv4 --kv-group=-2 --emit=accel 2>&1 | FileCheck %s --check-prefix=BAD

// HEAD: accel.attention {{.*}} {kv_quant = #accel.quant<bits = 4, group = 16, asymmetric>}
// EIGHT: accel.attention {{.*}} {kv_quant = #accel.quant<bits = 4, group = 8, asymmetric>}
// CHANNEL: accel.attention {{.*}} {kv_quant = #accel.quant<bits = 8, per_channel, asymmetric>}
// UNEVEN: warning: accel-quantize: KV group 5 does not divide the head dim 16; KV cache left fp32
// UNEVEN-NOT: kv_quant
// BAD: error: --kv-group expects a group size, 0 (per channel) or -1 (the head dim), got -2

func.func @main_graph(%q: tensor<1x4x64xf32>, %kv: tensor<1x4x32xf32>) -> tensor<1x4x64xf32> {
  %a = accel.attention %q, %kv, %kv heads(4, 2) causal : tensor<1x4x64xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32> -> tensor<1x4x64xf32> loc("layer0/attn")
  return %a : tensor<1x4x64xf32>
}
