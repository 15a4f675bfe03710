// accel-lower-to-isa without Λ when a layer's cache does not fit the kv
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
// ONEMORE: error: accel-tile: the 33 KV records a step of 32 rows reads (64 bytes each, keys and values) do not fit the kv buffer (4096 bytes); lower prefill-tile
