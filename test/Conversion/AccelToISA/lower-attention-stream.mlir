// accel-lower-to-isa when a layer's cache (or Λ window) does not fit the kv
// buffer: a kv buffer of one BRAM36 block (4 KiB: 2 KiB of keys, 2 KiB of
// values, 64-byte KV8 records) holds a chunk of 31 earlier positions and the
// decode step's own record at record 31 (byte 1984; values from 2048). Each
// query streams the cache through it in two runtime loops (keys, values),
// between barriers, scoring into a row of n = r6 + 1 scores per head, the
// heads in a runtime loop too (the code does not grow with them).
// RUN: sed '/"kv": {/,/"blocks"/ { s/"value": "uram"/"value": "bram"/; s/"value": 256,/"value": 1,/ }' %accel_src/configs/u280.json > %t.kv4k.json
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.kv4k.json},accel-place-hbm{config=%t.kv4k.json},accel-allocate-buffers{config=%t.kv4k.json},accel-lower-to-isa{config=%t.kv4k.json},accel-insert-tokens{config=%t.kv4k.json})' | FileCheck %s
// Integer attention streams the same way, all heads in each instruction
// (ISA §5.9 chunks): mqk into the rows of n scores (pitch=r15), one
// vsoftmax, the weight scales' max over every chunk and the own values (vpq
// first and last over no keys around the loop), then each chunk's int8
// weights and int32 sums (vpq quant, mpv first over none, next, last).
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{max-context=64},cse,accel-int8-attention,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.kv4k.json},accel-place-hbm{config=%t.kv4k.json},accel-allocate-buffers{config=%t.kv4k.json},accel-lower-to-isa{config=%t.kv4k.json},accel-insert-tokens{config=%t.kv4k.json})' | FileCheck %s --check-prefix=INT8
// A prefill tile of 28 leaves a chunk of 4 records: too few for two
// half-chunks, the integer chunk loops take it whole, one a pass, with no
// maset / vaset restated after the label.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{max-context=64},cse,accel-int8-attention,accel-pack,accel-fuse,accel-tile{prefill-tile=28 config=%t.kv4k.json},accel-place-hbm{config=%t.kv4k.json},accel-allocate-buffers{config=%t.kv4k.json},accel-lower-to-isa{config=%t.kv4k.json},accel-insert-tokens{config=%t.kv4k.json})' | FileCheck %s --check-prefix=SMALL
// With the default kv buffer the whole cache is loaded once a step, as
// before: no chunk loop.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa,accel-insert-tokens)' | FileCheck %s --check-prefix=WHOLE
// The scores of one head's row must fit the scratch buffer's upper half
// (here 2 KiB of a 4 KiB scratch buffer).
// RUN: sed '/"scr": {/,/"blocks"/ { s/"value": "uram"/"value": "bram"/; s/"value": 128,/"value": 1,/ }' %t.kv4k.json > %t.scr4k.json
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{max-context=1024},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.scr4k.json},accel-place-hbm{config=%t.scr4k.json},accel-allocate-buffers{config=%t.scr4k.json},accel-lower-to-isa{config=%t.scr4k.json})' 2>&1 | FileCheck %s --check-prefix=SCORES
// A step's own records and one earlier one must fit the kv buffer.
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=32 config=%t.kv4k.json})' 2>&1 | FileCheck %s --check-prefix=ONEMORE
// With Λ (2 sinks, a ring of 40) the 41 earlier records and the own one do
// not fit either: the window streams through a chunk of 29 records, the
// sinks stay for the step right before the own records (w0 = 29 + 2).
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=40},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.kv4k.json},accel-place-hbm{config=%t.kv4k.json},accel-allocate-buffers{config=%t.kv4k.json},accel-lower-to-isa{config=%t.kv4k.json},accel-insert-tokens{config=%t.kv4k.json})' | FileCheck %s --check-prefix=LAMBDA
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=40},cse,accel-int8-attention,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.kv4k.json},accel-place-hbm{config=%t.kv4k.json},accel-allocate-buffers{config=%t.kv4k.json},accel-lower-to-isa{config=%t.kv4k.json},accel-insert-tokens{config=%t.kv4k.json})' | FileCheck %s --check-prefix=LINT8
// With 4 sinks and a ring of 40, multiples of the 4 records of a row, a
// chunk loads from its row's start: no lead.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=4 window=40},cse,accel-int8-attention,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.kv4k.json},accel-place-hbm{config=%t.kv4k.json},accel-allocate-buffers{config=%t.kv4k.json},accel-lower-to-isa{config=%t.kv4k.json},accel-insert-tokens{config=%t.kv4k.json})' | FileCheck %s --check-prefix=LALIGN
// A step's own records, the sinks and one streamed record must fit.
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=40},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=30 config=%t.kv4k.json})' 2>&1 | FileCheck %s --check-prefix=LONEMORE
// RoPE by rank (rope-positions=cache) over the streamed Λ cache: each run
// of a query's keys loads its ranks' table rows (CodegenRope.cpp).
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w8a8kv8 group=32}),accel-lambda-attention{sink=2 window=40 rope-positions=cache},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.kv4k.json},accel-place-hbm{config=%t.kv4k.json},accel-allocate-buffers{config=%t.kv4k.json},accel-lower-to-isa{config=%t.kv4k.json},accel-insert-tokens{config=%t.kv4k.json})' | FileCheck %s --check-prefix=LRANK

// The decode step: its own records after the chunk (s0 = 0, w0 = 31).
// CHECK-LABEL: accelisa.label @decode_step
// CHECK:      accelisa.addi r14, r0, 0
// CHECK-NEXT: accelisa.addi r15, r0, 31
// CHECK:      accelisa.vkvq kv[
// CHECK:      accelisa.addi r28, r28, 2048
// CHECK:      accelisa.vkvq kv[r28]
// n = r6 + t + 1 keys for query t = r13.
// CHECK:      accelisa.add r15, r6, r13
// CHECK-NEXT: accelisa.addi r15, r15, 1
// One pass over both heads: r12, its first head, is 0.
// CHECK-NEXT: accelisa.addi r12, r0, 0
// The keys' loop: r14 the chunk's first position, r3 its records.
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.addi r14, r0, 0
// CHECK-NEXT: accelisa.label @[[KEYS:chunk_[0-9]+_of_decode]]
// CHECK-NEXT: accelisa.sub r3, r6, r14
// CHECK-NEXT: accelisa.minui r3, r3, 31
// CHECK:      accelisa.load kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=13, nch=4, hstride=64, sstride=64
// A loop over the heads (r9) of the pass from head r12 (one pass: r12 = 0),
// two a pass: head h's KV head h / 2 and its chunk's scores at
// 4 · ((h - r12) · n + r14) of the rows.
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.addi r9, r12, 0
// CHECK-NEXT: accelisa.label @[[HEADS:heads_[0-9]+_of_decode]]
// CHECK-NEXT: accelisa.addi [[KVH:r[0-9]+]], r9, 0
// CHECK-NEXT: accelisa.divui [[KVH]], [[KVH]], 2
// CHECK-NEXT: accelisa.muli [[Q:r[0-9]+]], r9, 128
// CHECK-NEXT: accelisa.add [[Q]], [[Q]], r7
// CHECK-NEXT: accelisa.addi [[Q]], [[Q]], 256
// CHECK-NEXT: accelisa.sub [[ROW:r[0-9]+]], r9, r12
// CHECK-NEXT: accelisa.addi [[ROW]], [[ROW]], 0
// CHECK-NEXT: accelisa.mul [[ROW]], [[ROW]], r15
// CHECK-NEXT: accelisa.add [[ROW]], [[ROW]], r14
// CHECK-NEXT: accelisa.slli [[ROW]], [[ROW]], 2
// CHECK-NEXT: accelisa.addi [[ROW]], [[ROW]], 2097152
// CHECK-NEXT: accelisa.vqk scr[[[ROW]]], act[[[Q]]], kv[r0], r3, [[KVH]], r0, r0, scale=
// CHECK:      accelisa.sub [[ROW1:r[0-9]+]], r9, r12
// CHECK-NEXT: accelisa.addi [[ROW1]], [[ROW1]], 1
// CHECK:      accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[r0], r3, {{r[0-9]+}}, r0, r0, scale=
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.addi r9, r9, 2
// CHECK-NEXT: accelisa.addi [[END:r[0-9]+]], r12, 2
// CHECK-NEXT: accelisa.bltu r9, [[END]], @[[HEADS]]
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.addi r14, r14, 31
// CHECK-NEXT: accelisa.bltu r14, r6, @[[KEYS]]
// The query's own keys, t + 1 of them at record 31, their scores at 4 · r6.
// CHECK-NEXT: accelisa.addi r3, r13, 1
// CHECK:      accelisa.addi [[OWNAT:r[0-9]+]], r0, 1984
// CHECK:      accelisa.add {{r[0-9]+}}, {{r[0-9]+}}, r6
// CHECK:      accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[[[OWNAT]]], r3, {{r[0-9]+}}, r0, r0, scale=
// One softmax over both heads' rows of n, in place.
// CHECK:      accelisa.bltu r9,
// CHECK-NEXT: accelisa.addi [[S:r[0-9]+]], r0, 2097152
// CHECK-NEXT: accelisa.vsoftmax scr[[[S]]], scr[[[S]]], r15, r0, r0, 2
// The context rows start at -0.0; the values' loop continues their sums.
// CHECK-NEXT: accelisa.muli [[OUT:r[0-9]+]], r12, 128
// CHECK-NEXT: accelisa.add [[OUT]], [[OUT]], r7
// CHECK-NEXT: accelisa.addi [[OUT]], [[OUT]], 640
// CHECK-NEXT: accelisa.vfill act[[[OUT]]], 64, -0.0
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.addi r14, r0, 0
// CHECK-NEXT: accelisa.label @[[VALUES:chunk_[0-9]+_of_decode]]
// CHECK:      accelisa.load kv[{{r[0-9]+}} + 2048], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=17, nch=4, hstride=64, sstride=64
// CHECK:      accelisa.label @[[VHEADS:heads_[0-9]+_of_decode]]
// CHECK:      accelisa.vpv act[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[{{r[0-9]+}}], r3, {{r[0-9]+}}, r0, r0, acc=1
// CHECK:      accelisa.vpv act[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[{{r[0-9]+}}], r3, {{r[0-9]+}}, r0, r0, acc=1
// CHECK:      accelisa.bltu r9, {{r[0-9]+}}, @[[VHEADS]]
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.addi r14, r14, 31
// CHECK-NEXT: accelisa.bltu r14, r6, @[[VALUES]]
// CHECK-NEXT: accelisa.addi r3, r13, 1
// CHECK:      accelisa.addi [[OWNV:r[0-9]+]], r0, 4032
// CHECK:      accelisa.vpv act[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[[[OWNV]]], r3, {{r[0-9]+}}, r0, r0, acc=1
// r12 the records' index base again (31 - r6); the own records are stored
// from record 31 (r12 + r6).
// CHECK:      accelisa.addi r12, r0, 31
// CHECK-NEXT: accelisa.sub r12, r12, r6
// CHECK:      accelisa.add r12, r12, r6
// CHECK:      accelisa.store kv[
// The prefill step streams too (a chunk of 28 beside its tile of 4).
// CHECK-LABEL: accelisa.label @prefill_step
// CHECK:      accelisa.label @{{chunk_[0-9]+_of_prefill}}
// CHECK-NEXT: accelisa.sub r3, r6, r14
// CHECK-NEXT: accelisa.minui r3, r3, 28

// INT8-LABEL: accelisa.label @decode_step
// Two chunks of 14 a pass, at record 0 and record 17 (halves 3 records
// apart: a run's lead and rest bounded apart), the second loaded while the
// first is used; the record formats restated for accel-insert-tokens after
// the label, so a load waits only for the mqk that read its half. The
// second key run (none of the keys) at the first's records too. The first
// chunk counts from r14 (not past r6: no maxi), the second from r9.
// INT8:      accelisa.label @[[KEYS:chunk_[0-9]+_of_decode]]
// INT8-NEXT: accelisa.maset
// INT8-NEXT: accelisa.vaset
// INT8-NEXT: accelisa.sub r3, r6, r14
// INT8-NEXT: accelisa.minui r3, r3, 14
// INT8:      accelisa.load kv[{{r[0-9]+}}], {{.*}}, ch=13, nch=4, hstride=64, sstride=64, rel=mx
// INT8:      accelisa.addi r9, r14, 14
// INT8-NEXT: accelisa.sub r3, r6, r9
// INT8-NEXT: accelisa.maxi r3, r3, 0
// INT8-NEXT: accelisa.minui r3, r3, 14
// INT8:      accelisa.load kv[{{r[0-9]+}} + 1088], {{.*}}, ch=13, nch=4, hstride=64, sstride=64, rel=mx
// INT8:      accelisa.mqk scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[r0], r3, r0, r3, {{r[0-9]+}}, 2, pitch=r15, scale={{.*}}, wait=ld
// INT8:      accelisa.mqk {{.*}}, kv[[[B:r[0-9]+]]], r3, [[B]], r3, {{r[0-9]+}}, 2, pitch=r15, scale={{.*}}, wait=ld
// INT8-NEXT: accelisa.barrier
// INT8-NEXT: accelisa.addi r14, r14, 28
// INT8-NEXT: accelisa.bltu r14, r6, @[[KEYS]]
// INT8:      accelisa.mqk {{.*}}, {{r[0-9]+}}, 2, pitch=r15, scale=
// INT8:      accelisa.vsoftmax scr[[[S:r[0-9]+]]], scr[[[S]]], r15, r0, r0, 2
// INT8:      accelisa.vpq {{.*}}, r0, {{r[0-9]+}}, 0, {{r[0-9]+}}, 2, pitch=r15, part=first
// INT8:      accelisa.label @[[MAX:chunk_[0-9]+_of_decode]]
// INT8:      accelisa.vpq {{.*}}, r3, {{r[0-9]+}}, r3, {{r[0-9]+}}, 2, pitch=r15, part=next, wait=ld
// INT8:      accelisa.bltu r14, r6, @[[MAX]]
// INT8:      accelisa.vpq {{.*}}, r3, {{r[0-9]+}}, 2, pitch=r15, part=next
// INT8:      accelisa.vpq {{.*}}, r0, {{r[0-9]+}}, 0, {{r[0-9]+}}, 2, pitch=r15, part=last
// INT8:      accelisa.mpv {{.*}}, r0, {{r[0-9]+}}, 0, {{r[0-9]+}}, 2, part=first
// INT8:      accelisa.label @[[SUM:chunk_[0-9]+_of_decode]]
// INT8:      accelisa.vpq {{.*}}, r3, {{r[0-9]+}}, r3, {{r[0-9]+}}, 2, pitch=r15, part=quant
// INT8:      accelisa.mpv {{.*}}, r3, {{r[0-9]+}}, r3, {{r[0-9]+}}, 2, part=next
// INT8:      accelisa.bltu r14, r6, @[[SUM]]
// INT8:      accelisa.vpq {{.*}}, r3, {{r[0-9]+}}, 2, pitch=r15, part=quant
// INT8:      accelisa.mpv {{.*}}, r3, {{r[0-9]+}}, 2, part=last

// WHOLE-NOT: chunk_
// WHOLE:     accelisa.vsoftmax
// WHOLE-NOT: chunk_

// SCORES: error: the scores of one head over 1025 keys (4160 bytes) do not fit the scratch buffer's upper half (2048 bytes)
// SMALL-LABEL: accelisa.label @prefill_step
// SMALL:      accelisa.label @[[KEYS:chunk_[0-9]+_of_prefill]]
// SMALL-NEXT: accelisa.sub r3, r6, r14
// SMALL-NEXT: accelisa.minui r3, r3, 4
// SMALL:      accelisa.mqk {{.*}}, kv[r0], r3, r0, r3, {{r[0-9]+}}, 2, pitch=r15
// SMALL-NEXT: accelisa.barrier
// SMALL-NEXT: accelisa.addi r14, r14, 4
// SMALL-NEXT: accelisa.bltu r14, r6, @[[KEYS]]
// ONEMORE: error: accel-tile: the 33 KV records a step of 32 rows reads (64 bytes each, keys and values) do not fit the kv buffer (4096 bytes); lower `prefill-tile`

// LAMBDA-LABEL: accelisa.label @decode_step
// Step 1 loads the min(S, r6) sinks right before the own records (record
// 31), keys and values.
// LAMBDA:      accelisa.addi r14, r0, 0
// LAMBDA-NEXT: accelisa.addi r15, r0, 31
// LAMBDA-NEXT: accelisa.minui [[SINKS:r[0-9]+]], r6, 2
// LAMBDA-NEXT: accelisa.sub [[AT:r[0-9]+]], r15, [[SINKS]]
// LAMBDA:      accelisa.muli {{r[0-9]+}}, [[AT]], 64
// LAMBDA-NEXT: accelisa.load kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=13, nch=4
// LAMBDA:      accelisa.load kv[{{r[0-9]+}} + 2048], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=17, nch=4
// n = min(p + 1, S + W) keys; the sinks' run: min(S, p + 1) keys (r3) from
// key 0, at record 31 - min(S, r6).
// LAMBDA:      accelisa.add r15, r6, r13
// LAMBDA-NEXT: accelisa.addi r15, r15, 1
// LAMBDA-NEXT: accelisa.minui r15, r15, 42
// LAMBDA-NEXT: accelisa.addi r12, r0, 0
// LAMBDA-NEXT: accelisa.add r3, r6, r13
// LAMBDA-NEXT: accelisa.addi r3, r3, 1
// LAMBDA-NEXT: accelisa.minui r3, r3, 2
// LAMBDA:      accelisa.minui [[S:r[0-9]+]], r6, 2
// LAMBDA-NEXT: accelisa.muli [[S]], [[S]], 64
// LAMBDA-NEXT: accelisa.addi [[END:r[0-9]+]], r0, 1984
// LAMBDA-NEXT: accelisa.sub [[S]], [[END]], [[S]]
// LAMBDA:      accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[[[S]]], r3, {{r[0-9]+}}, r0, r0, scale=
// The keys' loop over the window's earlier positions, from min(ws, r6),
// ws = S + max(0, p + 1 - W - S); a chunk of at most 29 records, not past
// the ring's end (W - (r14 - S) mod W slots left): one run of the ring
// from slot S + (r14 - S) mod W (the sinks, 2, are not a multiple of the 4
// records of a row: the load moves a row's lead first).
// LAMBDA:      accelisa.bltu r9, {{r[0-9]+}}, @{{heads_[0-9]+_of_decode}}
// LAMBDA-NEXT: accelisa.barrier
// LAMBDA-NEXT: accelisa.add r14, r6, r13
// LAMBDA-NEXT: accelisa.addi r14, r14, -41
// LAMBDA-NEXT: accelisa.maxi r14, r14, 0
// LAMBDA-NEXT: accelisa.addi r14, r14, 2
// LAMBDA-NEXT: accelisa.minu r14, r14, r6
// LAMBDA-NEXT: accelisa.label @[[KEYS:chunk_[0-9]+_of_decode]]
// LAMBDA-NEXT: accelisa.sub r3, r6, r14
// LAMBDA-NEXT: accelisa.minui r3, r3, 29
// LAMBDA-NEXT: accelisa.addi [[RING:r[0-9]+]], r14, -2
// LAMBDA-NEXT: accelisa.remui [[RING]], [[RING]], 40
// LAMBDA-NEXT: accelisa.addi [[LEFT:r[0-9]+]], [[RING]], -40
// LAMBDA-NEXT: accelisa.sub [[LEFT]], r0, [[LEFT]]
// LAMBDA-NEXT: accelisa.minu r3, r3, [[LEFT]]
// LAMBDA-NEXT: accelisa.addi {{r[0-9]+}}, [[RING]], 2
// LAMBDA:      accelisa.andi
// LAMBDA:      accelisa.sltu
// LAMBDA:      accelisa.load kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=13, nch=4, hstride=64, sstride=64
// Per head, the chunk's scores from key r14 - shift of its row.
// LAMBDA:      accelisa.label @{{heads_[0-9]+_of_decode}}
// LAMBDA-NEXT: accelisa.add [[K:r[0-9]+]], r6, r13
// LAMBDA-NEXT: accelisa.addi [[K]], [[K]], -41
// LAMBDA-NEXT: accelisa.maxi [[K]], [[K]], 0
// LAMBDA-NEXT: accelisa.sub [[K]], r14, [[K]]
// LAMBDA:      accelisa.add [[ROW:r[0-9]+]], [[ROW]], [[K]]
// LAMBDA:      accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[r0], r3, {{r[0-9]+}}, r0, r0, scale=
// The next chunk starts where this one ended.
// LAMBDA:      accelisa.bltu r9, {{r[0-9]+}}, @{{heads_[0-9]+_of_decode}}
// LAMBDA-NEXT: accelisa.barrier
// LAMBDA-NEXT: accelisa.add r14, r14, r3
// LAMBDA-NEXT: accelisa.bltu r14, r6, @[[KEYS]]
// The own run: positions max(ws, r6) .. p (r14 the first, r3 their count).
// LAMBDA-NEXT: accelisa.add r14, r6, r13
// LAMBDA-NEXT: accelisa.addi r14, r14, -41
// LAMBDA-NEXT: accelisa.maxi r14, r14, 0
// LAMBDA-NEXT: accelisa.addi r14, r14, 2
// LAMBDA-NEXT: accelisa.max r14, r14, r6
// LAMBDA-NEXT: accelisa.add r3, r6, r13
// LAMBDA-NEXT: accelisa.addi r3, r3, 1
// LAMBDA-NEXT: accelisa.sub r3, r3, r14
// LAMBDA-NEXT: accelisa.maxi r3, r3, 0
// LAMBDA-NEXT: accelisa.minui r3, r3, 1
// LAMBDA:      accelisa.addi [[OWN:r[0-9]+]], r0, 1984
// LAMBDA:      accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[[[OWN]]], r3, {{r[0-9]+}}, r0, r0, scale=
// LAMBDA:      accelisa.vsoftmax
// The values: -0.0, then the sinks', each chunk's and the own terms.
// LAMBDA:      accelisa.vfill
// LAMBDA:      accelisa.vpv {{.*}}, r3, {{r[0-9]+}}, r0, r0, acc=1
// LAMBDA:      accelisa.label @[[VALUES:chunk_[0-9]+_of_decode]]
// LAMBDA:      accelisa.load kv[{{r[0-9]+}} + 2048], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=17, nch=4, hstride=64, sstride=64
// LAMBDA:      accelisa.vpv {{.*}}, r3, {{r[0-9]+}}, r0, r0, acc=1
// LAMBDA:      accelisa.bltu r14, r6, @[[VALUES]]
// LAMBDA:      accelisa.addi [[OWNV:r[0-9]+]], r0, 4032
// LAMBDA:      accelisa.vpv act[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[[[OWNV]]], r3, {{r[0-9]+}}, r0, r0, acc=1
// The own records' index base again (31 - r6); they go to the ring.
// LAMBDA:      accelisa.addi r12, r0, 31
// LAMBDA-NEXT: accelisa.sub r12, r12, r6
// LAMBDA:      accelisa.remui
// LAMBDA:      accelisa.store kv[
// The prefill step: a chunk of 26 beside its 2 sinks and tile of 4; its
// own run starts at record 26 + 2 + (max(ws, r6) - r6), at most 3.
// LAMBDA-LABEL: accelisa.label @prefill_step
// LAMBDA:      accelisa.label @{{chunk_[0-9]+_of_prefill}}
// LAMBDA-NEXT: accelisa.sub r3, r6, r14
// LAMBDA-NEXT: accelisa.minui r3, r3, 26
// LAMBDA:      accelisa.sub [[F:r[0-9]+]], r14, r6
// LAMBDA-NEXT: accelisa.minui [[F]], [[F]], 3
// LAMBDA-NEXT: accelisa.muli [[F]], [[F]], 64
// LAMBDA-NEXT: accelisa.addi [[F]], [[F]], 1792

// Integer attention: the sinks' run, then two half-chunks of 13 a pass (at
// records 0 and 16), the second from where the first ended (r9 = r14 +
// r3), each loaded while the other is used (no wait on the mqk), then the
// own run; the values' max and sums take the same runs.
// LINT8-LABEL: accelisa.label @decode_step
// LINT8:      accelisa.minui r3, r3, 2
// LINT8:      accelisa.mqk scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[[[S:r[0-9]+]]], r3, [[S]], r3, {{r[0-9]+}}, 2, pitch=r15
// LINT8:      accelisa.minu r14, r14, r6
// LINT8-NEXT: accelisa.label @[[KEYS:chunk_[0-9]+_of_decode]]
// LINT8-NEXT: accelisa.maset
// LINT8-NEXT: accelisa.vaset
// LINT8-NEXT: accelisa.sub r3, r6, r14
// LINT8-NEXT: accelisa.minui r3, r3, 13
// LINT8:      accelisa.remui
// LINT8:      accelisa.load kv[{{r[0-9]+}}], {{.*}}, ch=13, nch=4, hstride=64, sstride=64, rel=mx
// LINT8-NEXT: accelisa.add r9, r14, r3
// LINT8-NEXT: accelisa.sub r3, r6, r9
// LINT8-NEXT: accelisa.minui r3, r3, 13
// LINT8:      accelisa.load kv[{{r[0-9]+}} + 1024], {{.*}}, ch=13, nch=4, hstride=64, sstride=64, rel=mx
// LINT8:      accelisa.mqk scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], kv[r0], r3, r0, r3, {{r[0-9]+}}, 2, pitch=r15, scale={{.*}}, wait=ld
// LINT8:      accelisa.mqk {{.*}}, kv[[[B:r[0-9]+]]], r3, [[B]], r3, {{r[0-9]+}}, 2, pitch=r15, scale={{.*}}, wait=ld
// LINT8-NEXT: accelisa.barrier
// LINT8-NEXT: accelisa.add r14, r9, r3
// LINT8-NEXT: accelisa.bltu r14, r6, @[[KEYS]]
// LINT8:      accelisa.mqk {{.*}}, r3, {{r[0-9]+}}, 2, pitch=r15, scale=
// LINT8:      accelisa.vsoftmax scr[[[P:r[0-9]+]]], scr[[[P]]], r15, r0, r0, 2
// LINT8:      accelisa.vpq {{.*}}, r0, {{r[0-9]+}}, 0, {{r[0-9]+}}, 2, pitch=r15, part=first
// LINT8:      accelisa.vpq {{.*}}, r3, {{r[0-9]+}}, r3, {{r[0-9]+}}, 2, pitch=r15, part=next
// LINT8:      accelisa.label @[[MAX:chunk_[0-9]+_of_decode]]
// LINT8:      accelisa.vpq {{.*}}, r3, {{r[0-9]+}}, r3, {{r[0-9]+}}, 2, pitch=r15, part=next, wait=ld
// LINT8:      accelisa.bltu r14, r6, @[[MAX]]
// LINT8:      accelisa.vpq {{.*}}, r3, {{r[0-9]+}}, 2, pitch=r15, part=next
// LINT8:      accelisa.vpq {{.*}}, r0, {{r[0-9]+}}, 0, {{r[0-9]+}}, 2, pitch=r15, part=last
// LINT8:      accelisa.mpv {{.*}}, r0, {{r[0-9]+}}, 0, {{r[0-9]+}}, 2, part=first
// LINT8:      accelisa.vpq {{.*}}, r3, {{r[0-9]+}}, r3, {{r[0-9]+}}, 2, pitch=r15, part=quant
// LINT8:      accelisa.mpv {{.*}}, r3, {{r[0-9]+}}, r3, {{r[0-9]+}}, 2, part=next
// LINT8:      accelisa.label @[[SUM:chunk_[0-9]+_of_decode]]
// LINT8:      accelisa.mpv {{.*}}, r3, {{r[0-9]+}}, r3, {{r[0-9]+}}, 2, part=next
// LINT8:      accelisa.bltu r14, r6, @[[SUM]]
// LINT8:      accelisa.mpv {{.*}}, r3, {{r[0-9]+}}, 2, part=last
// A chunk of 27 records beside 4 sinks and the own one: two half-chunks of
// 27 / 2 - 3 = 10 a pass, 13 records apart (a load takes up to 3 records
// before its first, from its row's start). A part's ring offset o = (r14 -
// S) mod W gives its count (at most W - o) and its slot S + o - (o mod 4)
// (r14 - S clamped at 0), from which (o mod 4) + r3 records load in one DMA
// over the row's 4 channels; the mqk takes them from record o mod 4. Part
// 0's count, used after part 1's load, is r9 - r14.
// LALIGN-LABEL: accelisa.label @decode_step
// LALIGN:      accelisa.label @[[KEYS:chunk_[0-9]+_of_decode]]
// LALIGN-NEXT: accelisa.maset
// LALIGN-NEXT: accelisa.vaset
// LALIGN-NEXT: accelisa.sub r3, r6, r14
// LALIGN-NEXT: accelisa.minui r3, r3, 10
// LALIGN-NEXT: accelisa.addi [[O:r[0-9]+]], r14, -4
// LALIGN-NEXT: accelisa.remui [[O]], [[O]], 40
// LALIGN-NEXT: accelisa.addi [[LEFT:r[0-9]+]], [[O]], -40
// LALIGN-NEXT: accelisa.sub [[LEFT]], r0, [[LEFT]]
// LALIGN-NEXT: accelisa.minu r3, r3, [[LEFT]]
// LALIGN-NEXT: accelisa.addi [[SKIP:r[0-9]+]], r14, -4
// LALIGN-NEXT: accelisa.maxi [[SKIP]], [[SKIP]], 0
// LALIGN-NEXT: accelisa.andi [[SKIP]], [[SKIP]], 3
// LALIGN-NEXT: accelisa.sub [[O]], [[O]], [[SKIP]]
// LALIGN-NEXT: accelisa.add [[N:r[0-9]+]], r3, [[SKIP]]
// LALIGN-NEXT: accelisa.addi [[SLOT:r[0-9]+]], [[O]], 4
// LALIGN-NEXT: accelisa.srli [[ROW:r[0-9]+]], [[SLOT]], 2
// LALIGN-NEXT: accelisa.muli [[ROW]], [[ROW]], 64
// LALIGN-NEXT: accelisa.add [[ROW]], [[ROW]], r2
// LALIGN-NEXT: accelisa.addi [[ROW]], [[ROW]], 0
// LALIGN-NEXT: accelisa.muli [[P:r[0-9]+]], [[N]], 1
// LALIGN-NEXT: accelisa.muli [[AT:r[0-9]+]], r0, 64
// LALIGN-NEXT: accelisa.load kv[[[AT]]], hbm[[[ROW]]], [[P]], 64, ch=13, nch=4, hstride=64, sstride=64, rel=mx
// LALIGN-NEXT: accelisa.add r9, r14, r3
// LALIGN:      accelisa.load kv[{{r[0-9]+}} + 832], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=13, nch=4, hstride=64, sstride=64, rel=mx
// LALIGN-NEXT: accelisa.sub r3, r9, r14
// LALIGN-NEXT: accelisa.minui r3, r3, 10
// LALIGN:      accelisa.addi [[FROM:r[0-9]+]], r14, -4
// LALIGN-NEXT: accelisa.maxi [[FROM]], [[FROM]], 0
// LALIGN-NEXT: accelisa.andi [[FROM]], [[FROM]], 3
// LALIGN-NEXT: accelisa.muli [[FROM]], [[FROM]], 64
// LALIGN-NEXT: accelisa.addi [[FROM]], [[FROM]], 0
// LALIGN:      accelisa.mqk {{.*}}, kv[[[FROM]]], r3, [[FROM]], r3, {{r[0-9]+}}, 2, pitch=r15, scale={{.*}}, wait=ld
// LALIGN-NOT:  accelisa.sltu
// LALIGN:      accelisa.bltu r14, r6, @[[KEYS]]
// LONEMORE: error: accel-tile: the 33 KV records a step of 30 rows reads (64 bytes each, keys and values) do not fit the kv buffer (4096 bytes); lower `prefill-tile`
// The vector unit points at two areas of 29 + 32 rows of 128 bytes: a
// run's ranks from their multiple of the 32 channels (at most a chunk's 29),
// the query's in row 60. Per query, its rank n - 1's row to row 60 (with
// the rows before it from their multiple of 32); per run (here a chunk,
// from key r14 less the window's shift) its r mod 32 + r3 rows to row 0;
// its vqk rotates the query by row 60 and key j by row r mod 32 + j. Both
// tables' loads share the row's offset (the sin area 61 rows of 128 bytes
// after the cos area).
// LRANK-LABEL: accelisa.label @decode_step
// LRANK: accelisa.addi [[C:r[0-9]+]], r0, 4178688
// LRANK-NEXT: accelisa.addi [[S:r[0-9]+]], r0, 4186496
// LRANK-NEXT: accelisa.vrset scr{{\[}}[[C]]], scr{{\[}}[[S]]], rot=32
// LRANK: accelisa.addi [[RANK:r[0-9]+]], r15, -1
// LRANK-NEXT: accelisa.maxi [[RANK]], [[RANK]], 0
// LRANK-NEXT: accelisa.remui [[LEAD:r[0-9]+]], [[RANK]], 32
// LRANK-NEXT: accelisa.addi [[N:r[0-9]+]], [[LEAD]], 1
// LRANK-NEXT: accelisa.muli [[AT:r[0-9]+]], [[LEAD]], -128
// LRANK-NEXT: accelisa.addi [[AT]], [[AT]], 4186368
// LRANK: accelisa.load scr{{\[}}[[AT]]], hbm[{{r[0-9]+}}], [[N]], 128, ch={{[0-9]+}}, nch=32, hstride=128, sstride=128
// LRANK: accelisa.label @chunk_{{[0-9]+}}_of_decode
// LRANK: accelisa.sub [[KEY:r[0-9]+]], r14, {{r[0-9]+}}
// LRANK-NEXT: accelisa.remui [[ROWS:r[0-9]+]], [[KEY]], 32
// LRANK-NEXT: accelisa.add [[ROWS]], [[ROWS]], r3
// LRANK: accelisa.addi [[AREA:r[0-9]+]], r0, 4178688
// LRANK-NEXT: accelisa.divui [[ROW:r[0-9]+]], [[KEY]], 32
// LRANK-NEXT: accelisa.muli [[ROW]], [[ROW]], 128
// LRANK-NEXT: accelisa.add [[ROW]], [[ROW]], r1
// LRANK-NEXT: accelisa.addi [[H:r[0-9]+]], [[ROW]], {{[0-9]+}}
// LRANK-NEXT: accelisa.load scr{{\[}}[[AREA]]], hbm{{\[}}[[H]]], [[ROWS]], 128, ch={{[0-9]+}}, nch=32, hstride=128, sstride=128
// LRANK-NEXT: accelisa.addi [[H:r[0-9]+]], [[ROW]], {{[0-9]+}}
// LRANK-NEXT: accelisa.load scr{{\[}}[[AREA]] + 7808], hbm{{\[}}[[H]]], [[ROWS]], 128, ch={{[0-9]+}}, nch=32, hstride=128, sstride=128
// LRANK: accelisa.label @heads_{{[0-9]+}}_of_decode
// LRANK-NEXT: accelisa.addi [[Q:r[0-9]+]], r0, 60
// LRANK: accelisa.remui [[FIRST:r[0-9]+]], {{r[0-9]+}}, 32
// LRANK: accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[r0], r3, {{r[0-9]+}}, [[Q]], [[FIRST]], rope=1
