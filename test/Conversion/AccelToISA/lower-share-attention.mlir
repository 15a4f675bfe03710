// accel-lower-to-isa{share-attention=...}: `always` makes each step's
// attention a subroutine its layers call even where the program fits the
// instruction memory in line, `never` keeps it in line; a call and a return
// have no barrier: the subroutine begins and ends with one token slot of
// each data unit (a load and a store of no rows, an mcfg, the vaset), and
// so does the code right after each call (accel-insert-tokens puts the
// tokens of the call's boundary there).
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa{share-attention=always},accel-insert-tokens)' | FileCheck %s
// RUN: accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa{share-attention=never},accel-insert-tokens)' | FileCheck %s --check-prefix=NEVER
// RUN: not accel-opt %S/Inputs/llama-layer.mlir --pass-pipeline='builtin.module(func.func(accel-prune,accel-quantize{scheme=w2a8kv4 group=32 kv-group=32}),accel-lambda-attention{sink=2 window=5 max-context=64},cse,accel-pack,accel-fuse,accel-tile{prefill-tile=4},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa{share-attention=sometimes})' 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK:      accelisa.jmp @decode_step
// CHECK:      accelisa.label @decode_step
// CHECK:      accelisa.vrope {{.*}}, heads=1,
// CHECK-NEXT: accelisa.jal r8, @decode_attention_0
// CHECK-NEXT: accelisa.load wgt[0], hbm[0], 0, 64
// CHECK-NEXT: accelisa.store wgt[0], hbm[0], 0, 64
// CHECK-NEXT: accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
// CHECK-NEXT: accelisa.vaset hd=32, kvh=1, kvg=32, kvbits=4, sink=2, window=5, causal=1, qpk=2
// CHECK:      accelisa.jal r8, @prefill_attention_1
// CHECK:      accelisa.label @decode_attention_0
// CHECK-NEXT: accelisa.load wgt[0], hbm[0], 0, 64
// CHECK-NEXT: accelisa.store wgt[0], hbm[0], 0, 64
// CHECK-NEXT: accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
// CHECK-NEXT: accelisa.vaset hd=32, kvh=1, kvg=32, kvbits=4, sink=2, window=5, causal=1, qpk=2
// CHECK-NOT:  accelisa.barrier
// CHECK:      accelisa.load wgt[0], hbm[0], 0, 64
// CHECK-NEXT: accelisa.store wgt[0], hbm[0], 0, 64
// CHECK-NEXT: accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
// CHECK-NEXT: accelisa.vaset hd=32, kvh=1, kvg=32, kvbits=4, sink=2, window=5, causal=1, qpk=2
// CHECK-NEXT: accelisa.jr r8
// CHECK-NEXT: accelisa.label @prefill_attention_1

// NEVER-NOT:  _attention_
// NEVER:      accelisa.jal r8, @decode_step
// NEVER-NOT:  _attention_

// BAD: accel-lower-to-isa: `share-attention` must be auto, always or never, not 'sometimes'
