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
// (2 x 1002 rows of 128 bytes) above a query's scores: each query scores
// its keys in segments of 192 ranks (a multiple of the 32 channels), each
// segment's table rows loaded apart (CodegenRope.cpp).
// RUN: sed 's/"blocks": {"value": 128, "unit": "URAM", "source": "design choice: 4 MiB/"blocks": {"value": 4, "unit": "URAM", "source": "design choice: 4 MiB/' %accel_src/configs/u280.json > %t.scr.json
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=1000 rope-positions=cache},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.scr.json},accel-place-hbm{config=%t.scr.json},accel-allocate-buffers{config=%t.scr.json},accel-lower-to-isa{config=%t.scr.json},accel-insert-tokens)' | FileCheck %s --check-prefix=SEG
// One of 16 KiB has no room for a segment of 32 ranks either.
// RUN: sed '/"scr": {/,/"blocks"/ { s/"value": "uram"/"value": "bram"/; s/"value": 128,/"value": 4,/ }' %accel_src/configs/u280.json > %t.scr16k.json
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=1000 rope-positions=cache},cse,accel-pack,accel-tile{prefill-tile=4 config=%t.scr16k.json},accel-place-hbm{config=%t.scr16k.json},accel-allocate-buffers{config=%t.scr16k.json})' 2>&1 | FileCheck %s --check-prefix=SCR

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
// The sinks (r14 keys) from rank 0, the window (r15 keys) from rank r14,
// each a vqk of both heads (each key rotated once for both), each head's
// two runs of scores then copied into its row.
// CHECK: accelisa.add r9, r14, r15
// CHECK-NEXT: accelisa.addi r9, r9, -1
// CHECK-NEXT: accelisa.maxi r9, r9, 0
// CHECK: accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[r0], r14, 0, r9, r0, rope=1, rows=2
// CHECK-NEXT: accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[{{r[0-9]+}}], r15, 0, r9, r14, rope=1, rows=2
// CHECK-COUNT-4: accelisa.vcopy scr
// CHECK-NOT: accelisa.vqk
// CHECK: accelisa.vsoftmax {{.*}}, r0, r0, 2

// ABS-NOT: vrset
// ABS-NOT: rope=1

// The layout: 2 heads' scores of 1002 keys at the upper half (65536), a
// segment's 2 x 192 scores after them (73600), 2 x 193 table rows at the top.
// SEG-DAG: %[[SIN:.*]] = arith.constant {accel.hbm = #accel.hbm<channel = [[SINCH:[0-9]+]], offset = [[SINAT:[0-9]+]], channels = 32, stride = 128>} dense<{{.*}}> : tensor<1002x32xf32>
// SEG-DAG: %[[COS:.*]] = arith.constant {accel.hbm = #accel.hbm<channel = [[COSCH:[0-9]+]], offset = [[COSAT:[0-9]+]], channels = 32, stride = 128>} dense<{{.*}}> : tensor<1002x32xf32>
// SEG: accel.attention_layout = {decode = {{{.*}}, end = 75136 : i64, {{.*}}, rows = 2 : i64, scores = 65536 : i64, segment = 192 : i64, tables = 81664 : i64, tile = 1 : i64
// SEG-LABEL: accelisa.label @decode_step
// The vector unit points at the two areas; no whole table is loaded.
// SEG-NOT: ch=[[COSCH]],
// SEG: accelisa.addi [[C0:r[0-9]+]], r0, 81664
// SEG-NEXT: accelisa.addi [[S0:r[0-9]+]], r0, 106368
// SEG-NEXT: accelisa.vrset scr{{\[}}[[C0]]], scr{{\[}}[[S0]]], rot=32
// The query's row r9 = n - 1 to row 192 of each area (81664 + 192 x 128),
// with the r9 mod 32 rows before it from the multiple of 32 at or below it.
// SEG: accelisa.addi r9, r15, -1
// SEG-NEXT: accelisa.maxi r9, r9, 0
// SEG-NEXT: accelisa.remui [[LEAD:r[0-9]+]], r9, 32
// SEG-NEXT: accelisa.addi [[ROWS:r[0-9]+]], [[LEAD]], 1
// SEG-NEXT: accelisa.muli [[AT:r[0-9]+]], [[LEAD]], -128
// SEG-NEXT: accelisa.addi [[AT]], [[AT]], 106240
// The row's offset in both tables once, the sin table's area 24704 bytes
// after the cos table's.
// SEG-NEXT: accelisa.divui [[ROW:r[0-9]+]], r9, 32
// SEG-NEXT: accelisa.muli [[ROW]], [[ROW]], 128
// SEG-NEXT: accelisa.add [[ROW]], [[ROW]], r1
// SEG-NEXT: accelisa.addi [[H:r[0-9]+]], [[ROW]], [[COSAT]]
// SEG-NEXT: accelisa.load scr{{\[}}[[AT]]], hbm{{\[}}[[H]]], [[ROWS]], 128, ch=[[COSCH]], nch=32, hstride=128, sstride=128
// SEG-NEXT: accelisa.addi [[H:r[0-9]+]], [[ROW]], [[SINAT]]
// SEG-NEXT: accelisa.load scr{{\[}}[[AT]] + 24704], hbm{{\[}}[[H]]], [[ROWS]], 128, ch=[[SINCH]], nch=32, hstride=128, sstride=128
// The segments: ranks r9 .. r9 + min(192, n - r9) - 1, their rows to row
// 0 of each area, one vqk of both heads (ranks from row 0, the query's
// row 192) and each head's scores copied into its row of n at rank r9.
// SEG-NEXT: accelisa.barrier
// SEG-NEXT: accelisa.addi r9, r0, 0
// SEG-NEXT: accelisa.label @segment_{{[0-9]+}}_of_decode
// SEG-NEXT: accelisa.sub [[N:r[0-9]+]], r15, r9
// SEG-NEXT: accelisa.minui [[N]], [[N]], 192
// SEG-NEXT: accelisa.addi [[AT:r[0-9]+]], r0, 81664
// SEG-NEXT: accelisa.divui [[ROW:r[0-9]+]], r9, 32
// SEG-NEXT: accelisa.muli [[ROW]], [[ROW]], 128
// SEG-NEXT: accelisa.add [[ROW]], [[ROW]], r1
// SEG-NEXT: accelisa.addi [[H:r[0-9]+]], [[ROW]], [[COSAT]]
// SEG-NEXT: accelisa.load scr{{\[}}[[AT]]], hbm{{\[}}[[H]]], [[N]], 128, ch=[[COSCH]], nch=32, hstride=128, sstride=128
// SEG-NEXT: accelisa.addi [[H:r[0-9]+]], [[ROW]], [[SINAT]]
// SEG-NEXT: accelisa.load scr{{\[}}[[AT]] + 24704], hbm{{\[}}[[H]]], [[N]], 128, ch=[[SINCH]], nch=32
// Then a runtime loop over the groups of heads (r7, the group's first
// head: one group of both here), the query's address from r13.
// SEG-NEXT: accelisa.barrier
// SEG-NEXT: accelisa.addi r7, r0, 0
// SEG-NEXT: accelisa.label @[[GROUPS:groups_[0-9]+_of_decode]]
// SEG-NEXT: accelisa.muli [[Q:r[0-9]+]], r13, 256
// SEG-NEXT: accelisa.muli [[HEAD:r[0-9]+]], r7, 128
// SEG-NEXT: accelisa.add [[Q]], [[Q]], [[HEAD]]
// SEG-NEXT: accelisa.addi [[Q]], [[Q]], 640
// SEG-NEXT: accelisa.divui [[KV:r[0-9]+]], r7, 2
// SEG-NEXT: accelisa.addi [[QROW:r[0-9]+]], r0, 192
// SEG-NEXT: accelisa.addi [[T:r[0-9]+]], r0, 73600
// SEG-NEXT: accelisa.sub [[K:r[0-9]+]], r15, r9
// SEG-NEXT: accelisa.minui [[K]], [[K]], 192
// SEG-NEXT: accelisa.muli [[R:r[0-9]+]], r9, 64
// SEG-NEXT: accelisa.add [[R]], [[R]], r3
// SEG-NEXT: accelisa.vqk scr{{\[}}[[T]]], act{{\[}}[[Q]]], kv{{\[}}[[R]]], [[K]], [[KV]], [[QROW]], r0, rope=1, rows=2, scale=0.17677669
// SEG-NEXT: accelisa.muli [[BYTES:r[0-9]+]], [[K]], 4
// SEG-NEXT: accelisa.addi [[FROM:r[0-9]+]], r0, 73600
// SEG-NEXT: accelisa.mul [[ROW:r[0-9]+]], r7, r15
// SEG-NEXT: accelisa.add [[ROW]], [[ROW]], r9
// SEG-NEXT: accelisa.slli [[TO:r[0-9]+]], [[ROW]], 2
// SEG-NEXT: accelisa.addi [[TO]], [[TO]], 65536
// SEG-NEXT: accelisa.muli [[PITCH:r[0-9]+]], r15, 4
// SEG-NEXT: accelisa.vcopy scr{{\[}}[[TO]]], scr{{\[}}[[FROM]]], [[BYTES]]
// SEG-NEXT: accelisa.add [[TO]], [[TO]], [[PITCH]]
// SEG-NEXT: accelisa.add [[FROM]], [[FROM]], [[BYTES]]
// SEG-NEXT: accelisa.vcopy scr{{\[}}[[TO]]], scr{{\[}}[[FROM]]], [[BYTES]]
// SEG-NEXT: accelisa.barrier
// SEG-NEXT: accelisa.addi r7, r7, 2
// SEG-NEXT: accelisa.addi [[END:r[0-9]+]], r0, 2
// SEG-NEXT: accelisa.bltu r7, [[END]], @[[GROUPS]]
// SEG-NEXT: accelisa.addi r9, r9, 192
// SEG-NEXT: accelisa.bltu r9, r15, @segment_{{[0-9]+}}_of_decode
// Then the softmax and the context as with the whole tables.
// SEG: accelisa.vsoftmax scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], r15, r0, r0, 2
// SEG: accelisa.vpv {{.*}}, r15, {{r[0-9]+}}, r0, r0, rows=2
// A prefill query's sinks (ranks below r14) and window are scored apart:
// a vqk of both heads for each part of a segment, the window's from row
// min(r9 + count, r14) - min(r9, r14) (0 past the sinks) of the areas,
// and two copies a head.
// SEG-LABEL: accelisa.label @prefill_step
// SEG: accelisa.label @segment_{{[0-9]+}}_of_prefill
// SEG: accelisa.vqk scr[{{r[0-9]+}}], act[[[Q:r[0-9]+]]], kv[{{r[0-9]+}}], [[SINKS:r[0-9]+]], {{r[0-9]+}}, [[QROW:r[0-9]+]], r0, rope=1, rows=2, scale
// SEG: accelisa.vqk scr[{{r[0-9]+}}], act[[[Q]]], kv[{{r[0-9]+}}], {{r[0-9]+}}, {{r[0-9]+}}, [[QROW]], [[SINKS]], rope=1, rows=2, scale
// SEG-COUNT-4: accelisa.vcopy
// SEG: accelisa.bltu r9, {{r[0-9]+}}, @segment_{{[0-9]+}}_of_prefill
// SEG: accelisa.vsoftmax scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], {{r[0-9]+}}, r0, r0, 2
// SEG: accelisa.vpv {{.*}}, r14, {{r[0-9]+}}, r0, r0
// SEG-NEXT: accelisa.muli
// SEG-NEXT: accelisa.add
// SEG-NEXT: accelisa.vpv {{.*}}, r15, {{r[0-9]+}}, r0, r0, acc=1

// SCR: llama-layer.mlir:23:8: error: the RoPE tables by rank (2 x 128256 bytes) do not fit the scratch buffer (16384 bytes) above the attention's scores (12224 bytes), nor do segments of 32 ranks of them (8576 bytes)
