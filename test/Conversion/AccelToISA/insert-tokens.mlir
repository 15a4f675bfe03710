// accel-insert-tokens on hand-written programs.
// RUN: accel-opt %s -split-input-file --accel-insert-tokens | FileCheck %s

// A double-buffered linear: 2-bit 2:4 tiles of 16 rows x 64 (384 bytes).
// Each mv waits for the load of its half and the int8 input vqact wrote;
// the load that reuses half 0 waits for the mv that read it; the load into
// half 1 waits for nothing (it overlaps the first mv); the store of the
// outputs waits for the last mv. Tokens a program had are replaced.
// CHECK-LABEL: accelisa.program @linear
// CHECK:      accelisa.vqact act[r20], act[r0], act[r21], 64, 1, bits=8, rel=mx
// CHECK-NEXT: accelisa.mcfg k=64, g=32, r=16, bits=2, n=2, m=4
// CHECK-NEXT: accelisa.load wgt[0], hbm[r1], 4, 384, nch=32, sstride=384, rel=mx
// CHECK-NEXT: accelisa.mv act[r22], act[r20], act[r21], wgt[r0], 64, wait=ld|vec, rel=ld
// CHECK-NEXT: accelisa.load wgt[r23], hbm[r1 + 384], 4, 384, nch=32, sstride=384, rel=mx
// CHECK-NEXT: accelisa.mv act[r24], act[r20], act[r21], wgt[r23], 64, wait=ld
// CHECK-NEXT: accelisa.load wgt[0], hbm[r1 + 768], 4, 384, nch=32, sstride=384, wait=mx, rel=mx
// CHECK-NEXT: accelisa.mv act[r25], act[r20], act[r21], wgt[r0], 64, wait=ld, rel=st
// CHECK-NEXT: accelisa.store act[256], hbm[r3], 3, 256, hstride=256, sstride=256, wait=mx
// CHECK-NEXT: accelisa.halt
accelisa.program @linear {
  accelisa.entry @run
  accelisa.addi r20, r0, 4096
  accelisa.addi r21, r0, 8192
  accelisa.addi r22, r0, 256
  accelisa.addi r23, r0, 2097152
  accelisa.addi r24, r0, 512
  accelisa.addi r25, r0, 768
  accelisa.vqact act[r20], act[r0], act[r21], 64, 1, bits=8
  accelisa.mcfg k=64, g=32, r=16, bits=2, n=2, m=4
  accelisa.load wgt[0], hbm[r1], 4, 384, nch=32, sstride=384, wait=vec
  accelisa.mv act[r22], act[r20], act[r21], wgt[r0], 64
  accelisa.load wgt[r23], hbm[r1 + 384], 4, 384, nch=32, sstride=384
  accelisa.mv act[r24], act[r20], act[r21], wgt[r23], 64
  accelisa.load wgt[0], hbm[r1 + 768], 4, 384, nch=32, sstride=384
  accelisa.mv act[r25], act[r20], act[r21], wgt[r0], 64
  accelisa.store act[256], hbm[r3], 3, 256, hstride=256, sstride=256
  accelisa.halt
}

// -----

// HBM is tracked per region: a store to the kv region (r2) and a load from
// the weights region (r1) need no token; a load from the kv region after
// the store waits for it. An address from data (lds) is unknown: the vadd
// through it waits for every write of its buffer.
// CHECK-LABEL: accelisa.program @regions
// CHECK:      accelisa.store scr[0], hbm[r2], 1, 64, rel=ld
// CHECK-NEXT: accelisa.load act[0], hbm[r1], 1, 64{{$}}
// CHECK-NEXT: accelisa.load act[64], hbm[r2], 1, 64, wait=st, rel=ctl|vec
// CHECK-NEXT: accelisa.lds r9, act[64], wait=ld, rel=vec
// CHECK-NEXT: accelisa.vadd act[r9], act[r0], act[r0], 16, wait=ctl|ld
accelisa.program @regions {
  accelisa.entry @run
  accelisa.store scr[0], hbm[r2], 1, 64
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.load act[64], hbm[r2], 1, 64
  accelisa.lds r9, act[r0 + 64]
  accelisa.vadd act[r9], act[r0], act[r0], 16
  accelisa.halt
}

// -----

// A barrier completes everything: no token crosses it. A register is
// unknown at a label, where control may come from elsewhere.
// CHECK-LABEL: accelisa.program @segments
// CHECK:      accelisa.load act[0], hbm[r1], 1, 64{{$}}
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.vadd act[r0], act[r0], act[r0], 16{{$}}
// CHECK-NEXT: accelisa.halt
accelisa.program @segments {
  accelisa.entry @run
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.barrier
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.halt
}


// -----

// A forward branch may skip a region whose tokens pair within it: nothing
// precedes the branch since the barrier and nothing after its target takes
// a token before the next barrier (the prefill step's output tail).
// CHECK-LABEL: accelisa.program @skip_region
// CHECK:      accelisa.bltu r5, r6, @skipped
// CHECK-NEXT: accelisa.load act[0], hbm[r1], 1, 64, rel=vec
// CHECK-NEXT: accelisa.vadd act[r0], act[r0], act[r0], 16, wait=ld
// CHECK-NEXT: accelisa.label @skipped
// CHECK-NEXT: accelisa.addi r11, r0, 1
// CHECK-NEXT: accelisa.barrier
accelisa.program @skip_region {
  accelisa.entry @run
  accelisa.barrier
  accelisa.bltu r5, r6, @skipped
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.label @skipped
  accelisa.addi r11, r0, 1
  accelisa.barrier
  accelisa.halt
}
