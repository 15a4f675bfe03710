// accel-fuse on the decode step of a one-layer LLaMA-style decoder
// (Inputs/llama-layer.mlir, compressed W2A8KV4 and packed), each fusion on
// and off, and what the lowering makes of it.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack)' -o %t.packed.mlir
// RUN: accel-opt %t.packed.mlir --accel-fuse | FileCheck %s
// RUN: accel-opt %t.packed.mlir --accel-fuse='epilogue=false' | FileCheck %s --check-prefix=NOEPILOGUE
// RUN: accel-opt %t.packed.mlir --accel-fuse='quantize=false' | FileCheck %s --check-prefix=NOQUANTIZE
// RUN: accel-opt %t.packed.mlir --accel-fuse='rope=true' | FileCheck %s --check-prefix=ROPE
// A second run replaces the first's markings.
// RUN: accel-opt %t.packed.mlir --accel-fuse='rope=true' --accel-fuse | FileCheck %s
// The markings print and parse back as they were.
// RUN: accel-opt %t.packed.mlir --accel-fuse='rope=true' | accel-opt | FileCheck %s --check-prefix=ROPE
//
// The lowering of each (the decode step, one row):
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa)' | FileCheck %s --check-prefix=CODE
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse{epilogue=false},accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa)' | FileCheck %s --check-prefix=CODE-NOEPILOGUE
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse{quantize=false},accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa)' | FileCheck %s --check-prefix=CODE-NOQUANTIZE
// RUN: accel-opt %t.packed.mlir --pass-pipeline='builtin.module(accel-fuse{rope=true},accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa)' | FileCheck %s --check-prefix=CODE-ROPE

// Only the decode function is marked. Its first norm's output is quantized
// once for q, k and v; the attention's output, the second norm's, the
// gated activation's and the residual sum each for their linears; the gate
// projection applies SiLU in its epilogue; RoPE gets its own rows.
// CHECK-LABEL: func.func @main_graph(
// CHECK-NOT: accel.quantized
// CHECK-NOT: accel.epilogue
// CHECK-LABEL: func.func @main_graph_decode(
// CHECK: accel.rmsnorm {{.*}} {accel.quantized = #accel.quant<bits = 8, per_channel, symmetric>}
// CHECK-NOT: accel.in_place
// CHECK: accel.cache_attention {{.*}} {accel.quantized = #accel.quant<bits = 8, per_channel, symmetric>,
// CHECK: accel.rmsnorm {{.*}} {accel.quantized = #accel.quant<bits = 8, per_channel, symmetric>}
// CHECK: %[[GATE:.*]] = accel.linear {{.*}} {accel.epilogue = #accel.epilogue<silu>,
// CHECK: accel.activation silu %[[GATE]], {{.*}} {accel.quantized = #accel.quant<bits = 8, per_channel, symmetric>}
// CHECK: arith.addf {{.*}} {accel.quantized = #accel.quant<bits = 8, per_channel, symmetric>}

// NOEPILOGUE-NOT: accel.epilogue
// NOEPILOGUE: accel.rmsnorm {{.*}} {accel.quantized =
// NOEPILOGUE-NOT: accel.epilogue

// NOQUANTIZE-NOT: accel.quantized
// NOQUANTIZE: accel.epilogue = #accel.epilogue<silu>
// NOQUANTIZE-NOT: accel.quantized

// The q and k projections' rows rotate where they are.
// ROPE-LABEL: func.func @main_graph_decode(
// ROPE: accel.rope rotate_half {{.*}} heads(2) {accel.in_place}
// ROPE: accel.rope rotate_half {{.*}} heads(1) {accel.in_place}

// One vqact for q, k and v; the gate's mv applies SiLU, then only the
// vmul of the gated activation.
// CODE-LABEL: accelisa.label @decode_step
// CODE: accelisa.vrmsnorm
// CODE: accelisa.vqact
// CODE-NOT: accelisa.vqact
// CODE: accelisa.vrope
// CODE: accelisa.mv {{.*}}, ep=silu
// CODE-NOT: accelisa.vsilu
// CODE: accelisa.vmul
// CODE-LABEL: accelisa.label @prefill_step

// Without the epilogue: the gate's mv writes its plain outputs, vsilu
// activates them into a temporary, vmul gates it.
// CODE-NOEPILOGUE-LABEL: accelisa.label @decode_step
// CODE-NOEPILOGUE-NOT: ep=silu
// CODE-NOEPILOGUE: accelisa.vsilu
// CODE-NOEPILOGUE: accelisa.vmul
// CODE-NOEPILOGUE-LABEL: accelisa.label @prefill_step

// Without the shared int8 form: q, k and v each quantize the norm's output.
// CODE-NOQUANTIZE-LABEL: accelisa.label @decode_step
// CODE-NOQUANTIZE: accelisa.vrmsnorm
// CODE-NOQUANTIZE: accelisa.vqact
// CODE-NOQUANTIZE: accelisa.mv
// CODE-NOQUANTIZE: accelisa.vqact
// CODE-NOQUANTIZE: accelisa.mv
// CODE-NOQUANTIZE: accelisa.vqact
// CODE-NOQUANTIZE: accelisa.mv
// CODE-NOQUANTIZE: accelisa.vrope

// RoPE in place: after the loads of the position's cos and sin rows,
// vrope writes the q rows where it reads them.
// CODE-ROPE-LABEL: accelisa.label @decode_step
// CODE-ROPE: accelisa.muli {{r[0-9]+}}, r6, 128
// CODE-ROPE: accelisa.muli {{r[0-9]+}}, r6, 128
// CODE-ROPE: accelisa.load prm
// CODE-ROPE-NEXT: accelisa.addi [[D:r[0-9]+]], r0, [[AT:[0-9]+]]
// CODE-ROPE-NEXT: accelisa.addi [[A:r[0-9]+]], r0, [[AT]]
// CODE-ROPE-NEXT: accelisa.addi
// CODE-ROPE-NEXT: accelisa.addi
// CODE-ROPE-NEXT: accelisa.vrope act[[[D]]], act[[[A]]], {{.*}} heads=2
