// accel-lower-to-isa on a one-layer LLaMA-style decoder (hidden 64, heads
// (2, 1) of 32, SwiGLU 128, vocab 16), pruned 2:4, quantized W2A8KV4,
// given Λ(2, 5) and its decode step by accel-lambda-attention, packed.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa,accel-insert-tokens)' | FileCheck %s
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 weight-slots=2},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa,accel-insert-tokens)' | FileCheck %s --check-prefix=SLOTS2
// accel.weight_offsets that do not fit the buffer, or not one per group.
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers)' -o %t.placed.mlir
// RUN: sed '0,/accel.weight_offsets = array<i64: 0>/s//accel.weight_offsets = array<i64: 8388544>/' %t.placed.mlir | not accel-opt --accel-lower-to-isa 2>&1 | FileCheck %s --check-prefix=OFFSET
// RUN: sed '0,/accel.weight_offsets = array<i64: 0>/s//accel.weight_offsets = array<i64: 0, 64>/' %t.placed.mlir | not accel-opt --accel-lower-to-isa 2>&1 | FileCheck %s --check-prefix=OFFSETS
// A weight buffer of 8 KiB (two BRAM36 blocks), where the ring by bytes wraps.
// RUN: sed '/"wgt": {/,/"blocks"/ { s/"value": "uram"/"value": "bram"/; s/"value": 256,/"value": 2,/ }' %accel_src/configs/u280.json > %t.wgt8k.json
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.wgt8k.json},accel-place-hbm{config=%t.wgt8k.json},accel-allocate-buffers{config=%t.wgt8k.json},accel-lower-to-isa{config=%t.wgt8k.json},accel-insert-tokens{config=%t.wgt8k.json})' | FileCheck %s --check-prefix=WRAP
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5},accel-tile)' 2>&1 | FileCheck %s --check-prefix=NOPACK
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --accel-lower-to-isa 2>&1 | FileCheck %s --check-prefix=NODECODE
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(accel-lambda-attention,accel-pack,accel-tile,accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=NOPLACE
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(accel-lambda-attention,accel-pack,accel-tile{prefill-tile=2},accel-place-hbm,accel-tile{prefill-tile=4},accel-lower-to-isa)' 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(accel-lambda-attention,accel-pack,accel-lower-to-isa{config=%t.missing.json})' 2>&1 | FileCheck %s --check-prefix=CONFIG
// The channel count is the config's hbm.channels: with 8, tiles and
// parameters wrap at channel 8; a count a DMA cannot spread over is refused.
// RUN: sed 's/"channels": {"value": 32,/"channels": {"value": 8,/' %accel_src/configs/u280.json > %t.c8.json
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4 config=%t.c8.json},accel-place-hbm{config=%t.c8.json first-channel=5},accel-allocate-buffers{config=%t.c8.json},accel-lower-to-isa{config=%t.c8.json})' | FileCheck %s --check-prefix=C8
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(accel-lambda-attention,accel-pack,accel-tile,accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa{config=%t.c8.json})' 2>&1 | FileCheck %s --check-prefix=FIT
// RUN: sed 's/"channels": {"value": 32,/"channels": {"value": 24,/' %accel_src/configs/u280.json > %t.c24.json
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(accel-lambda-attention,accel-pack,accel-lower-to-isa{config=%t.c24.json})' 2>&1 | FileCheck %s --check-prefix=C24

// OFFSET: error: a load group of 4 weight tiles of 384 bytes at weight buffer offset 8388544 does not fit the buffer (8388608 bytes): run accel-tile with this config
// OFFSETS: error: no weight buffer offset for each of its 1 load groups (accel.weight_offsets): run accel-tile before accel-lower-to-isa
// NOPACK: error: the weight is not in the weight image: run accel-pack before lowering to the engine
// NODECODE: error: accel-lower-to-isa: no decode function (accel-lambda-attention makes one: the driver's `decode`)
// NOPLACE: error: the module has no accel.hbm_regions: run accel-place-hbm before accel-lower-to-isa
// TILE: error: accel-place-hbm sized the KV records for steps of 2 rows, fewer than prefill-tile=4
// CONFIG: error: accel-lower-to-isa: {{.*}}missing.json
// FIT: error: the HBM placement #accel.hbm<channel = {{[0-9]+}}, offset = {{[0-9]+}}, channels = 32, stride = {{[0-9]+}}> does not fit the config's 8 channels
// C24: error: accel-lower-to-isa: {{.*}}c24.json: hbm.channels = 24 is not a power of two

// With 8 channels (and the first channel 5: the embedding table on 5, 6, 7
// and 0, the norm weight on 1..4) the first matrix's four tiles sit on
// channels 5, 6, 7 and 0 at one offset, and its load spreads over 8
// channels.
// C8: accel.placement = [{bytes = 384 : i64, channel = 5 : i64, offset = {{[0-9]+}} : i64, region = "weights", region_offset = [[BASE:[0-9]+]] : i64, section = "weights"}, {bytes = 384 : i64, channel = 6 : i64, offset = {{[0-9]+}} : i64, region = "weights", region_offset = [[BASE]] : i64, section = "weights"}, {bytes = 384 : i64, channel = 7 : i64, offset = {{[0-9]+}} : i64, region = "weights", region_offset = [[BASE]] : i64, section = "weights"}, {bytes = 384 : i64, channel = 0 : i64, offset = {{[0-9]+}} : i64, region = "weights", region_offset = [[BASE]] : i64, section = "weights"}
// C8-NOT: channel = {{([1-9][0-9]|8|9)}} :
// C8: accelisa.label @decode_step
// C8: accelisa.load wgt[0], hbm[r{{[0-9]+}}], 4, 384, ch=5, nch=8, sstride=384
// C8-NOT: {{, ch=([89]|[1-9][0-9])([^0-9]|$)}}
// C8-NOT: {{nch=(16|32)}}

// What the host needs (FORMATS §5.2): the regions' bytes per channel, the io
// slots (4096 token ids, then the logits and the token), and the placement:
// the first matrix's tiles 0 and 1 on channels 8 and 9 at one offset.
// CHECK: accelisa.program @model attributes {accel.hbm = {act = 0 : i64, io = 16512 : i64, kv = 128 : i64, weights = {{[0-9]+}} : i64},
// CHECK-SAME: accel.io = {logits = {bytes = 64 : i64, channel = 0 : i64, offset = 16384 : i64}, token = {bytes = 4 : i64, channel = 0 : i64, offset = 16448 : i64}, tokens = {bytes = 16384 : i64, channel = 0 : i64, offset = 0 : i64}}
// CHECK-SAME: accel.params = dense_resource<accel_params>
// CHECK-SAME: accel.placement = [{bytes = 384 : i64, channel = 8 : i64, offset = [[IMG:[0-9]+]] : i64, region = "weights", region_offset = [[BASE:[0-9]+]] : i64, section = "weights"}, {bytes = 384 : i64, channel = 9 : i64, offset = {{[0-9]+}} : i64, region = "weights", region_offset = [[BASE]] : i64, section = "weights"}

// decode runs the step of one row once; prefill runs the step of up to 4
// rows (prefill-tile) over the r5 prompt tokens from position r6.
// CHECK-NEXT: accelisa.entry @decode
// CHECK-NEXT: accelisa.addi r10, r0, 0
// CHECK-NEXT: accelisa.addi r11, r0, 1
// CHECK-NEXT: accelisa.jal r8, @decode_step
// CHECK-NEXT: accelisa.halt
// CHECK-NEXT: accelisa.entry @prefill
// CHECK-NEXT: accelisa.addi r10, r0, 0
// CHECK-NEXT: accelisa.label @next_tile
// CHECK-NEXT: accelisa.bgeu r10, r5, @prompt_done
// CHECK-NEXT: accelisa.sub r11, r5, r10
// CHECK-NEXT: accelisa.minui r11, r11, 4
// CHECK-NEXT: accelisa.jal r8, @prefill_step
// CHECK-NEXT: accelisa.add r10, r10, r11
// CHECK-NEXT: accelisa.add r6, r6, r11
// CHECK-NEXT: accelisa.jmp @next_tile
// CHECK-NEXT: accelisa.label @prompt_done
// CHECK-NEXT: accelisa.halt

// The decode step. The id of token r10 from io, its embedding row striped
// over 4 channels.
// CHECK-NEXT: accelisa.label @decode_step
// CHECK-NEXT: accelisa.addi [[WITHIN:r[0-9]+]], r10, 0
// CHECK-NEXT: accelisa.slli [[WITHIN]], [[WITHIN]], 2
// CHECK-NEXT: accelisa.andi [[LINE:r[0-9]+]], [[WITHIN]], -64
// CHECK-NEXT: accelisa.add [[LINE]], [[LINE]], r4
// CHECK-NEXT: accelisa.andi [[WITHIN]], [[WITHIN]], 63
// CHECK-NEXT: accelisa.load scr[0], hbm[[[LINE]]], 1, 64, rel=ctl
// CHECK-NEXT: accelisa.lds r9, scr[[[WITHIN]]], wait=ld{{$}}
// CHECK-NEXT: accelisa.muli [[ROW:r[0-9]+]], r9, 64
// CHECK-NEXT: accelisa.add [[ROW]], [[ROW]], r1
// CHECK: accelisa.load act[0], hbm[[[ROW]]], 4, 64, nch=4, sstride=64
// The norm weight (256 bytes, striped over channels 4..7) in one load from
// the four.
// CHECK: accelisa.load prm[0], hbm[{{r[0-9]+}}], 4, 64, ch=4, nch=4, sstride=64, rel=vec
// CHECK: accelisa.vrmsnorm act[{{r[0-9]+}}], act[r0], prm[r0], 64, r11, eps=1.0e-05, wait=ld

// q: quantize the normed input once, stream the 4 tiles of 16 rows from 32
// channels to the start of the weight buffer's ring by bytes; k and v reuse
// the int8 input, their tiles right after q's. No load of the step waits
// for the matrix unit: the step's weights fit the 8 MiB ring without
// wrapping.
// CHECK: accelisa.vqact act[{{r[0-9]+}}], act[{{r[0-9]+}}], act[{{r[0-9]+}}], 64, r11, bits=8, rel=mx
// CHECK-NEXT: accelisa.mcfg k=64, g=32, r=16, bits=2, n=2, m=4
// CHECK: accelisa.load wgt[0], hbm[{{r[0-9]+}}], 4, 384, ch=8, nch=32, sstride=384, rel=mx
// CHECK: accelisa.mv act[{{r[0-9]+}}], act[{{r[0-9]+}}], act[{{r[0-9]+}}], wgt[r0], 64, wait=ld|vec, rel=vec
// CHECK-NOT: accelisa.vqact
// CHECK: accelisa.addi [[K:r[0-9]+]], r0, 1536
// CHECK-NEXT: accelisa.load wgt[[[K]]], hbm[{{r[0-9]+}}], 2, 384, ch=9, nch=32, sstride=384, rel=mx
// CHECK: accelisa.mv {{.*}}, 32, wait=ld{{$}}
// CHECK: accelisa.addi [[V:r[0-9]+]], r0, 2304
// CHECK-NEXT: accelisa.load wgt[[[V]]], hbm[{{r[0-9]+}}], 2, 384, ch=10, nch=32, sstride=384, rel=mx

// Two slots (the halves, accel-tile's weight-slots=2): the third load
// reuses the first half once the q projection's `mv` has read it.
// SLOTS2: accelisa.load wgt[0], hbm[{{r[0-9]+}}], 4, 384, ch=8, nch=32, sstride=384, rel=mx
// SLOTS2: accelisa.mv act[{{r[0-9]+}}], act[{{r[0-9]+}}], act[{{r[0-9]+}}], wgt[r0], 64, wait=ld|vec, rel=ld
// SLOTS2: accelisa.addi [[HALF:r[0-9]+]], r0, 4194304
// SLOTS2-NEXT: accelisa.load wgt[[[HALF]]], hbm[{{r[0-9]+}}], 2, 384, ch=9, nch=32, sstride=384, rel=mx
// SLOTS2: accelisa.mv {{.*}}, 32, wait=ld, rel=ld
// SLOTS2: accelisa.load wgt[0], hbm[{{r[0-9]+}}], 2, 384, ch=10, nch=32, sstride=384, wait=mx, rel=mx

// The ring by bytes in 8 KiB: groups of up to 2,688 bytes (a third), 4
// tiles of 384 or 640 bytes, back to back: q at 0, k at 1536, v at 2304, o
// at 3072, the gate's two groups at 4608 and 6144. The up projection's
// first group would pass the end: it goes to 0 and waits (wait=mx) for the
// `mv` that last read those bytes, q's (rel=ld); its second, at 1536, for
// v's; the down projection's, at 3072, for the gate's first; the LM head's,
// at 5632, inside bytes the gate's first `mv` read, waits for nothing more.
// WRAP-LABEL: accelisa.label @decode_step
// WRAP: accelisa.load wgt[0], hbm[{{r[0-9]+}}], 4, 384, ch={{[0-9]+}}, nch={{[0-9]+}}, sstride=384, rel=mx
// WRAP: accelisa.mv {{.*}}, wgt[r0], 64, wait=ld|vec, rel=ld|vec
// WRAP: accelisa.load wgt[{{r[0-9]+}}], hbm[{{r[0-9]+}}], 2, 384, ch={{[0-9]+}}, nch={{[0-9]+}}, sstride=384, rel=mx
// WRAP: accelisa.mv {{.*}}, 32, wait=ld, rel=ld|vec
// WRAP: accelisa.addi [[G1:r[0-9]+]], r0, 4608
// WRAP-NEXT: accelisa.load wgt[[[G1]]], hbm[{{r[0-9]+}}], 4, 384, ch={{[0-9]+}}, nch={{[0-9]+}}, sstride=384, rel=mx
// WRAP: accelisa.mv {{.*}}, 64, ep=silu, wait=ld|vec, rel=ld{{$}}
// WRAP: accelisa.addi [[G2:r[0-9]+]], r0, 6144
// WRAP-NEXT: accelisa.load wgt[[[G2]]], hbm[{{r[0-9]+}}], 4, 384, ch={{[0-9]+}}, nch={{[0-9]+}}, sstride=384, rel=mx{{$}}
// WRAP: accelisa.mv {{.*}}, 64, ep=silu, wait=ld{{$}}
// WRAP: accelisa.load wgt[0], hbm[{{r[0-9]+}}], 4, 384, ch={{[0-9]+}}, nch={{[0-9]+}}, sstride=384, wait=mx, rel=mx
// WRAP: accelisa.addi [[U2:r[0-9]+]], r0, 1536
// WRAP-NEXT: accelisa.load wgt[[[U2]]], hbm[{{r[0-9]+}}], 4, 384, ch={{[0-9]+}}, nch={{[0-9]+}}, sstride=384, wait=mx, rel=mx
// WRAP: accelisa.addi [[DOWN:r[0-9]+]], r0, 3072
// WRAP-NEXT: accelisa.load wgt[[[DOWN]]], hbm[{{r[0-9]+}}], 4, 640, ch={{[0-9]+}}, nch={{[0-9]+}}, sstride=640, wait=mx, rel=mx
// WRAP: accelisa.addi [[HEAD:r[0-9]+]], r0, 5632
// WRAP-NEXT: accelisa.load wgt[[[HEAD]]], hbm[{{r[0-9]+}}], 1, 384, ch={{[0-9]+}}, nch={{[0-9]+}}, sstride=384, rel=mx{{$}}
// WRAP-LABEL: accelisa.label @prefill_step

// RoPE: the table rows of positions r6 .. r6 + r11 - 1, 128 bytes each.
// CHECK: accelisa.muli [[COS:r[0-9]+]], r6, 128
// CHECK: accelisa.load prm[{{r[0-9]+}}], hbm[[[COS]]], r11, 128, ch=11, hstride=128, sstride=128
// CHECK: accelisa.vrope act[{{r[0-9]+}}], act[{{r[0-9]+}}], prm[{{r[0-9]+}}], prm[{{r[0-9]+}}], r11, r0, hd=32, rot=32, heads=2
// CHECK: accelisa.vrope {{.*}} r11, r0, hd=32, rot=32, heads=1

// Attention: the earlier sinks min(p0, 2), then the window before p0 from
// its ring slot (2 + (max(2, p0 - 4) - 2) mod 5), two runs; keys then
// values, three runs each. The caches' 64-byte records go 4 to a row of
// channels (13..16 for the keys, 17..20 for the values; record r on channel
// 13 + r mod 4 at (r div 4) · 64): a run from record 0 is one DMA over the
// 4; one from a record a register holds starts with a DMA for each group
// 14..16 (1 record if the run's lead, up to the next row, reaches it, else
// 0: sltu), then the rest from that row over the 4.
// CHECK: accelisa.vaset hd=32, kvh=1, kvg=32, kvbits=4, sink=2, window=5, causal=1
// CHECK-NEXT: accelisa.minui r14, r6, 2
// CHECK-NEXT: accelisa.addi [[FIRST:r[0-9]+]], r6, -4
// CHECK-NEXT: accelisa.maxi [[FIRST]], [[FIRST]], 2
// CHECK-NEXT: accelisa.sub r15, r6, [[FIRST]]
// CHECK-NEXT: accelisa.maxi r15, r15, 0
// CHECK-NEXT: accelisa.addi r3, [[FIRST]], -2
// CHECK-NEXT: accelisa.remui r3, r3, 5
// CHECK: accelisa.load kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=13, nch=4, hstride=64, sstride=64
// CHECK: accelisa.addi [[A:r[0-9]+]], r3, 0
// CHECK-NEXT: accelisa.andi [[NEG:r[0-9]+]], [[A]], 3
// CHECK-NEXT: accelisa.sub [[NEG]], r0, [[NEG]]
// CHECK-NEXT: accelisa.andi [[LEAD:r[0-9]+]], [[NEG]], 3
// CHECK-NEXT: accelisa.minu [[LEAD]], [[LEAD]], r13
// CHECK: accelisa.addi [[T:r[0-9]+]], [[NEG]], 1
// CHECK-NEXT: accelisa.sltu [[ONE:r[0-9]+]], [[T]], [[LEAD]]
// CHECK: accelisa.muli [[PIECES:r[0-9]+]], [[ONE]], 1
// CHECK: accelisa.load kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], [[PIECES]], 64, ch=14, hstride=64, sstride=64
// CHECK: accelisa.load kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=15, hstride=64, sstride=64
// CHECK: accelisa.load kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=16, hstride=64, sstride=64
// CHECK: accelisa.add [[A]], [[A]], [[LEAD]]
// CHECK: accelisa.load kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=13, nch=4, hstride=64, sstride=64
// CHECK: accelisa.load kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=14, hstride=64, sstride=64
// CHECK: accelisa.load kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=13, nch=4, hstride=64, sstride=64
// CHECK: accelisa.load kv[{{r[0-9]+}} + 448], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=17, nch=4, hstride=64, sstride=64
// The step's own records right after them; then one segment, the query's
// sinks then its window, one run from record 0, for both heads (the query
// heads of KV head 0) in one vqk, vsoftmax (in place) and vpv of 2 rows.
// CHECK: accelisa.vkvq kv[{{r[0-9]+}}], act[{{r[0-9]+}}], r11, wait=ld
// CHECK: accelisa.vkvq kv[{{r[0-9]+}}], act[{{r[0-9]+}}], r11
// CHECK: accelisa.add r15, r14, r15
// CHECK-NEXT: accelisa.addi r3, r0, 0
// CHECK: accelisa.addi {{r[0-9]+}}, r0, [[SCORES:[0-9]+]]
// CHECK-NEXT: accelisa.vqk scr[{{r[0-9]+}}], act[{{r[0-9]+}}], kv[{{r[0-9]+}}], r15, 0, r0, r0, rows=2, scale=0.17677669
// CHECK-NOT: accelisa.vqk
// CHECK: accelisa.addi [[S:r[0-9]+]], r0, [[SCORES]]
// CHECK-NEXT: accelisa.vsoftmax scr[[[S]]], scr[[[S]]], r15, r0, r0, 2{{$}}
// CHECK: accelisa.addi [[P:r[0-9]+]], r0, [[SCORES]]
// CHECK-NEXT: accelisa.vpv act[{{r[0-9]+}}], scr[[[P]]], kv[{{r[0-9]+}}], r15, 0, r0, r0, rows=2{{$}}
// CHECK-NOT: acc=1
// Then the own records into their slots: the sink slots, then the ring.
// CHECK: accelisa.store kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=14, hstride=64, sstride=64, wait=ld|vec
// CHECK: accelisa.store kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=13, nch=4, hstride=64, sstride=64
// CHECK: accelisa.remui
// CHECK: accelisa.store kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=14, hstride=64, sstride=64
// CHECK: accelisa.store kv[{{r[0-9]+}}], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, ch=13, nch=4, hstride=64, sstride=64

// The residual, then SwiGLU with SiLU in the gate's epilogue.
// CHECK: accelisa.vadd act[{{r[0-9]+}}], act[r0], act[{{r[0-9]+}}], {{r[0-9]+}}, wait=mx
// CHECK: accelisa.mv {{.*}}, 128, ep=silu, wait=ld|vec{{$}}
// CHECK: accelisa.mv {{.*}}, 128, wait=ld, rel=vec
// CHECK: accelisa.vmul act[{{r[0-9]+}}], act[{{r[0-9]+}}], act[{{r[0-9]+}}], {{r[0-9]+}}, wait=mx
// CHECK: accelisa.mcfg k=128, g=32, r=16, bits=2, n=2, m=4

// The last row's logits (staged for the DMA) and the greedy token to io
// (after 4096 token ids); the step ends ordered as a whole and returns.
// CHECK: accelisa.vcopy scr[{{r[0-9]+}}], act[[[LAST:r[0-9]+]]], 64, wait=mx, rel=st
// CHECK: accelisa.store scr[{{r[0-9]+}}], hbm[r4 + 16384], 1, 64, wait=vec
// CHECK: accelisa.vargmax scr[{{r[0-9]+}}], act[[[LAST]]], 16, rel=st
// CHECK: accelisa.store scr[{{r[0-9]+}}], hbm[r4 + 16448], 1, 64, wait=vec
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.jr r8

// The prefill step: a row of embedding per token of the tile (rows past
// r11 load nothing), matrix-matrix products over r11 tokens, and a loop
// over the queries between barriers.
// CHECK-NEXT: accelisa.label @prefill_step
// CHECK: accelisa.sltiu [[PAST:r[0-9]+]], r11, 1
// CHECK: accelisa.load act[0], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, nch=4, sstride=64
// CHECK: accelisa.sltiu {{r[0-9]+}}, r11, 4
// CHECK: accelisa.mm act[{{r[0-9]+}}], act[{{r[0-9]+}}], act[{{r[0-9]+}}], wgt[r0], 64, r11, 64, 256, wait=ld|vec
// CHECK: accelisa.barrier
// CHECK-NEXT: accelisa.addi r13, r0, 0
// CHECK-NEXT: accelisa.label @[[LOOP:query_[0-9]+_of_tile4]]
// Each query's sinks and its window are two runs of keys: a vqk of both
// heads for each, their rows of scores one after another past the rows of
// the scores (2097152 + 2 x 64), a vcopy of each head's two runs into its
// row of n = r14 + r15 scores, one vsoftmax of both rows, then a head at a
// time the sinks' vpv and the window's, which continues its sum.
// CHECK: accelisa.addi [[SINKS:r[0-9]+]], r0, 2097280
// CHECK: accelisa.vqk scr[[[SINKS]]], act[[[Q:r[0-9]+]]], kv[r0], r14, 0, r0, r0, rows=2, scale=0.17677669
// CHECK-NEXT: accelisa.vqk scr[[[WINDOW:r[0-9]+]]], act[[[Q]]], kv[{{r[0-9]+}}], r15, 0, r0, r0, rows=2, scale=0.17677669
// CHECK-NEXT: accelisa.addi [[TO:r[0-9]+]], r0, 2097152
// CHECK-NEXT: accelisa.vcopy scr[[[TO]]], scr[[[SINKS]]], [[SINKBYTES:r[0-9]+]]
// CHECK-NEXT: accelisa.add [[TO]], [[TO]], [[SINKBYTES]]
// CHECK-NEXT: accelisa.vcopy scr[[[TO]]], scr[[[WINDOW]]], [[WINDOWBYTES:r[0-9]+]]
// CHECK-NEXT: accelisa.add [[TO]], [[TO]], [[WINDOWBYTES]]
// CHECK-NEXT: accelisa.add [[SINKS]], [[SINKS]], [[SINKBYTES]]
// CHECK-NEXT: accelisa.add [[WINDOW]], [[WINDOW]], [[WINDOWBYTES]]
// CHECK-NEXT: accelisa.vcopy scr[[[TO]]], scr[[[SINKS]]], [[SINKBYTES]]
// CHECK-NEXT: accelisa.add [[TO]], [[TO]], [[SINKBYTES]]
// CHECK-NEXT: accelisa.vcopy scr[[[TO]]], scr[[[WINDOW]]], [[WINDOWBYTES]]
// CHECK-NEXT: accelisa.add [[N:r[0-9]+]], r14, r15
// CHECK: accelisa.vsoftmax scr[{{r[0-9]+}}], scr[{{r[0-9]+}}], [[N]], r0, r0, 2
// CHECK: accelisa.vpv act[[[OUT:r[0-9]+]]], scr[{{r[0-9]+}}], kv[{{r[0-9]+}}], r14, 0, r0, r0{{$}}
// CHECK-NEXT: accelisa.vpv act[[[OUT]]], scr[{{r[0-9]+}}], kv[{{r[0-9]+}}], r15, 0, r0, r0, acc=1
// CHECK: accelisa.addi [[OUT]], [[OUT]], 128
// CHECK: accelisa.vpv act[[[OUT]]], scr[{{r[0-9]+}}], kv[{{r[0-9]+}}], r14, 0, r0, r0{{$}}
// CHECK-NEXT: accelisa.vpv act[[[OUT]]], scr[{{r[0-9]+}}], kv[{{r[0-9]+}}], r15, 0, r0, r0, acc=1
// CHECK: accelisa.barrier
// CHECK-NEXT: accelisa.addi r13, r13, 1
// CHECK-NEXT: accelisa.bltu r13, r11, @[[LOOP]]
// The output tail (the final norm and the LM head): only the prompt's last
// tile computes it, for its last row alone, moved to row 0 (r11 = 1); the
// other tiles skip it. Then r11 is the tile's row count again.
// CHECK: accelisa.barrier
// CHECK-NEXT: accelisa.add [[END:r[0-9]+]], r10, r11
// CHECK-NEXT: accelisa.bltu [[END]], r5, @prefill_step_tail_skipped
// CHECK: accelisa.vcopy act[{{r[0-9]+}}], act[{{r[0-9]+}}], 256
// CHECK-NEXT: accelisa.addi r11, r0, 1
// CHECK: accelisa.vrmsnorm {{.*}}, 64, r11, eps=1.0e-05
// CHECK: accelisa.mm {{.*}}, 16, r11, 64, 64
// CHECK: accelisa.label @prefill_step_tail_skipped
// CHECK-NEXT: accelisa.sub r11, r5, r10
// CHECK-NEXT: accelisa.minui r11, r11, 4
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.jr r8

