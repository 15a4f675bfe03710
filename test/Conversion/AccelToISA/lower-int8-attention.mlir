// accel-lower-to-isa with int8_attention (NUMERICS §6.5, ISA §5.9) on the
// one-layer decoder of lower-decode.mlir (heads (2, 1) of 32, W2A8KV4, KV
// groups of 32, Λ(2, 5)): the step's queries' heads quantized by one vqact,
// then per query one mqk, vsoftmax, vpq, mpv for both heads (2 rows, both of KV head 0:
// qpk=2); the decode query's keys one run, a prefill query's sinks and
// window two runs. Without a quantized cache the pass fails.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-int8-attention,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa,accel-insert-tokens)' | FileCheck %s
// A scratch buffer of 4 KiB (one BRAM36) holds one head's scores of the
// full cache (65 keys), not two: one-row groups, the second group's mqk
// before the first group's vsoftmax.
// RUN: sed '/"scr": {/,/"blocks"/ { s/"value": "uram"/"value": "bram"/; s/"value": 128,/"value": 1,/ }' %accel_src/configs/u280.json > %t.scr4k.json
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{max-context=64},cse,accel-int8-attention,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.scr4k.json},accel-place-hbm{config=%t.scr4k.json},accel-allocate-buffers{config=%t.scr4k.json},accel-lower-to-isa{config=%t.scr4k.json},accel-insert-tokens{config=%t.scr4k.json})' | FileCheck %s --check-prefix=GROUPS
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(accel-lambda-attention{sink=2 window=5},accel-int8-attention)' 2>&1 | FileCheck %s --check-prefix=NOKV
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 rope-positions=cache},accel-int8-attention)' 2>&1 | FileCheck %s --check-prefix=RANK

// NOKV: error: accel-int8-attention: the attention has no quantized KV cache (kv_quant)
// RANK: error: accel-int8-attention: keys are rotated after they are read (accel-lambda-attention's `rope-positions`=cache); integer attention needs absolute RoPE positions

// The decode step: the vector and matrix units' record format with two
// query heads per KV head, the query's two heads of 32 to int8 in the
// scratch buffer, then one instruction of each kind takes both heads (the
// last operand, rows = 2) over one run of r15 records (sinks and window)
// from the kv buffer: the scores of row 1 right after row 0's, its int8
// weights and their scales likewise.
// CHECK-LABEL: accelisa.label @decode_step
// CHECK: accelisa.vaset hd=32, kvh=1, kvg=32, kvbits=4, sink=2, window=5, causal=1, qpk=2
// CHECK: accelisa.maset hd=32, kvh=1, kvg=32, kvbits=4, qpk=2
// CHECK: accelisa.vqact scr[{{r[0-9]+}}], act[{{r[0-9]+}}], scr[{{r[0-9]+}}], 64, 1, ga=32, bits=8
// CHECK: accelisa.mqk scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[{{r[0-9]+}}], r15, r0, r15, 0, 2, scale=0.17677669
// CHECK: accelisa.vsoftmax scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], r15, r0, r0, 2, wait=mx
// CHECK: accelisa.vpq scr[[[W:r[0-9]+]]], scr[{{r[0-9]+}}], scr[[[S:r[0-9]+]]], kv[{{r[0-9]+}}], r15, r0, r15, 0, 2, rel=mx
// CHECK: accelisa.mpv act[{{r[0-9]+}}], scr[[[W]]], scr[[[S]]], kv[{{r[0-9]+}}], r15, r0, r15, 0, 2, wait=vec
// CHECK-NOT: accelisa.mqk
// CHECK-NOT: accelisa.vqk
// CHECK-NOT: accelisa.vpv
// CHECK-LABEL: accelisa.label @prefill_step
// One vqact quantizes the heads of the step's r11 queries before the loop:
// query t's int8 heads at 2097152 + 64 t, its scales at 2097408 + 8 t.
// CHECK: accelisa.vqact scr[{{r[0-9]+}}], act[{{r[0-9]+}}], scr[{{r[0-9]+}}], 64, r11, ga=32, bits=8
// CHECK-NEXT: accelisa.barrier
// A pass of the query loop attends 4 queries (the tile; at most
// kQueriesPerPass), software-pipelined. It restates the record format for
// accel-insert-tokens, then sets query t = min(r13, 3)'s registers (the
// Λ window's key count r15 at most W = 5; r7 = 256 t). A prefill query: r14
// sink records from record 0 (kv[r0]), then its window from a second
// address; r14 + r15 keys. Its scores go to bank 0 (scratch 2097472).
// CHECK: accelisa.label @query_0_of_tile4
// CHECK-NEXT: accelisa.maset hd=32, kvh=1, kvg=32, kvbits=4, qpk=2
// CHECK-NEXT: accelisa.minui {{r[0-9]+}}, r13, 3
// CHECK: accelisa.minui r15, r15, 5
// CHECK-NOT: accelisa.vqact
// CHECK: accelisa.srli [[Q:r[0-9]+]], r7, 2
// CHECK-NEXT: accelisa.addi [[Q]], [[Q]], 2097152
// CHECK-NEXT: accelisa.divui [[QS:r[0-9]+]], r7, 32
// CHECK-NEXT: accelisa.addi [[QS]], [[QS]], 2097408
// CHECK: accelisa.addi [[S0:r[0-9]+]], r0, 2097472
// CHECK-NEXT: accelisa.add
// CHECK-NEXT: accelisa.mqk scr[[[S0]]], scr[[[Q]]], scr[[[QS]]], kv[r0], r14, {{r[0-9]+}}, {{r[0-9]+}}, 0, 2, scale=0.17677669, rel=vec
// Query t + 1 = min(r13 + 1, r11 - 1, 3): its mqk, into bank 1
// (2097856), before query t's softmax.
// CHECK-NEXT: accelisa.addi [[LAST:r[0-9]+]], r11, -1
// CHECK-NEXT: accelisa.addi [[T1:r[0-9]+]], r13, 1
// CHECK-NEXT: accelisa.minu [[T1]], [[T1]], [[LAST]]
// CHECK-NEXT: accelisa.minui {{r[0-9]+}}, [[T1]], 3
// CHECK-NOT: accelisa.vqact
// CHECK: accelisa.addi [[S1:r[0-9]+]], r0, 2097856
// CHECK-NEXT: accelisa.add
// CHECK-NEXT: accelisa.mqk scr[[[S1]]], {{.*}}, 0, 2, scale=0.17677669, rel=vec
// Query t again: its softmax of bank 0 (its one token from the mqk of
// bank 0), vpq and mpv.
// CHECK-NEXT: accelisa.minui {{r[0-9]+}}, r13, 3
// CHECK: accelisa.addi [[B0:r[0-9]+]], r0, 2097472
// CHECK-NEXT: accelisa.add
// CHECK-NEXT: accelisa.vsoftmax scr[{{r[0-9]+}}], scr[[[B0]]], {{r[0-9]+}}, r0, r0, 2, wait=mx{{$}}
// CHECK: accelisa.vpq scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[{{r[0-9]+}}], r14, {{r[0-9]+}}, {{r[0-9]+}}, 0, 2, rel=mx
// CHECK: accelisa.mpv act[{{r[0-9]+}}], scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[{{r[0-9]+}}], r14, {{r[0-9]+}}, {{r[0-9]+}}, 0, 2, wait=vec
// Then query t + 2's scores (bank 0 again) before query t + 1's context
// (bank 1), and so on; the last query's context ends the pass.
// CHECK-NEXT: accelisa.addi {{r[0-9]+}}, r11, -1
// CHECK-NEXT: accelisa.addi {{r[0-9]+}}, r13, 2
// CHECK: accelisa.mqk scr[{{r[0-9]+}}]
// CHECK: accelisa.addi {{r[0-9]+}}, r13, 1
// CHECK: accelisa.addi [[B1:r[0-9]+]], r0, 2097856
// CHECK-NEXT: accelisa.add
// CHECK-NEXT: accelisa.vsoftmax scr[{{r[0-9]+}}], scr[[[B1]]], {{r[0-9]+}}, r0, r0, 2, wait=mx{{$}}
// CHECK: accelisa.mqk
// CHECK-NOT: accelisa.mqk
// CHECK-COUNT-2: accelisa.vsoftmax
// CHECK-NOT: accelisa.mqk
// CHECK: accelisa.mpv
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.addi r13, r13, 4
// CHECK-NEXT: accelisa.bltu r13, r11, @query_0_of_tile4
// CHECK-NOT: accelisa.mqk
// CHECK-NOT: accelisa.vqk
// CHECK-NOT: accelisa.vpv
// CHECK-NOT: accelisa.vqact {{.*}}ga=32

// GROUPS-LABEL: accelisa.label @decode_step
// GROUPS: accelisa.mqk scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[{{r[0-9]+}}], r15, r0, r15, 0, 1, scale=0.17677669
// GROUPS-NOT: accelisa.vsoftmax
// GROUPS: accelisa.mqk scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[{{r[0-9]+}}], r15, r0, r15, 0, 1, scale=0.17677669
// GROUPS: accelisa.vsoftmax scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], r15, r0, r0, 1, wait=mx
// GROUPS: accelisa.vpq {{.*}}, r15, r0, r15, 0, 1, rel=mx
// GROUPS: accelisa.mpv {{.*}}, r15, r0, r15, 0, 1, wait=vec
// GROUPS: accelisa.vsoftmax scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], r15, r0, r0, 1, wait=mx
// GROUPS: accelisa.vpq {{.*}}, r15, r0, r15, 0, 1, rel=mx
// GROUPS: accelisa.mpv {{.*}}, r15, r0, r15, 0, 1, wait=vec
// GROUPS-NOT: accelisa.mqk
// GROUPS-LABEL: accelisa.label @prefill_step
