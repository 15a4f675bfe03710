// rope-positions=cache on the engine (docs/ISA.md §5.7): the one-layer
// LLaMA-style decoder of lower-decode.mlir (heads (2, 1) of 32, Λ(2, 5)),
// its keys cached unrotated. accel-place-hbm rotates the RoPE tables' rows
// over the 32 channels; each step loads the rows of ranks
// 0 .. min(r6 + r11, S + W) - 1 to the top of the scratch buffer with one
// load per table, points the vector unit at them (vrset), and every vqk
// rotates by rank (rope=1): the query by row n - 1, the keys from row 0, or
// in a prefill tile the window's from the sink count (r14).
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64 rope-positions=cache},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa,accel-insert-tokens)' | FileCheck %s
// The absolute form has no rotation by rank.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa,accel-insert-tokens)' | FileCheck %s --check-prefix=ABS
// A scratch buffer of 128 KiB has no room for the tables of Λ(2, 1000)
// above a query's scores.
// RUN: sed 's/"blocks": {"value": 128, "unit": "URAM", "source": "design choice: 4 MiB/"blocks": {"value": 4, "unit": "URAM", "source": "design choice: 4 MiB/' %accel_src/configs/u280.json > %t.scr.json
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=1000 rope-positions=cache},cse,accel-pack,accel-tile{prefill-tile=4 config=%t.scr.json},accel-place-hbm{config=%t.scr.json},accel-allocate-buffers{config=%t.scr.json},accel-lower-to-isa{config=%t.scr.json})' 2>&1 | FileCheck %s --check-prefix=SCR

// The [8, 32] tables: rows of 128 bytes on every channel.
// CHECK-DAG: %[[SIN:.*]] = arith.constant {accel.hbm = #accel.hbm<channel = [[SINCH:[0-9]+]], offset = [[SINAT:[0-9]+]], channels = 32, stride = 128>} dense<{{.*}}> : tensor<8x32xf32>
// CHECK-DAG: %[[COS:.*]] = arith.constant {accel.hbm = #accel.hbm<channel = [[COSCH:[0-9]+]], offset = [[COSAT:[0-9]+]], channels = 32, stride = 128>} dense<{{.*}}> : tensor<8x32xf32>
// CHECK: accel.cache_attention {{.*}} rope(rotate_half %[[COS]], %[[SIN]]

// CHECK-LABEL: accelisa.label @decode_step
// CHECK: accelisa.vaset hd=32, kvh=1
// CHECK-NEXT: accelisa.add [[N:r[0-9]+]], r6, r11
// CHECK-NEXT: accelisa.minui [[N]], [[N]], 7
// CHECK-NEXT: accelisa.addi [[H:r[0-9]+]], r1, [[COSAT]]
// CHECK-NEXT: accelisa.addi [[C:r[0-9]+]], r0, 4192256
// CHECK-NEXT: accelisa.load scr{{\[}}[[C]]], hbm{{\[}}[[H]]], [[N]], 128, ch=[[COSCH]], nch=32, hstride=128, sstride=128
// CHECK: accelisa.load scr{{\[}}{{r[0-9]+}}], hbm{{\[}}{{r[0-9]+}}], {{r[0-9]+}}, 128, ch=[[SINCH]], nch=32, hstride=128, sstride=128
// CHECK-NEXT: accelisa.addi [[C2:r[0-9]+]], r0, 4192256
// CHECK-NEXT: accelisa.addi [[S2:r[0-9]+]], r0, 4193280
// CHECK-NEXT: accelisa.vrset scr{{\[}}[[C2]]], scr{{\[}}[[S2]]], rot=32
// The decode query sees its sinks and window as one run of r15 keys; one
// vqk of both heads (2 rows, KV head 0) rotates each key once for both.
// The query's rank (r9), once per query.
// CHECK: accelisa.addi r9, r15, -1
// CHECK-NEXT: accelisa.maxi r9, r9, 0
// CHECK: accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[{{r[0-9]+}}], r15, 0, r9, r0, rope=1, rows=2, scale=0.17677669
// CHECK: accelisa.vpv {{.*}}, rows=2
// CHECK-NOT: accelisa.vqk
// CHECK-NOT: accelisa.vrset
// CHECK-LABEL: accelisa.label @prefill_step
// CHECK: accelisa.vrset scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], rot=32
// CHECK-LABEL: accelisa.label @query_0_of_tile4
// The sinks (r14 keys) from rank 0, the window (r15 keys) from rank r14.
// CHECK: accelisa.add r9, r14, r15
// CHECK-NEXT: accelisa.addi r9, r9, -1
// CHECK-NEXT: accelisa.maxi r9, r9, 0
// CHECK: accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[r0], r14, 0, r9, r0, rope=1
// CHECK: accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[{{r[0-9]+}}], r15, 0, r9, r14, rope=1
// The next head's vqk reuses r9: no rank computed again in between.
// CHECK-NOT: accelisa.maxi r9
// CHECK: accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[r0], r14, 0, r9, r0, rope=1

// ABS-NOT: vrset
// ABS-NOT: rope=1

// SCR: llama-layer.mlir:23:8: error: the RoPE tables by rank (2 x 128256 bytes) do not fit the scratch buffer (131072 bytes) above the attention's scores (69568 bytes)
