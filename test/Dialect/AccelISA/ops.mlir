// RUN: accel-opt %s | FileCheck %s
// RUN: accel-opt %s | accel-opt | FileCheck %s
// RUN: accel-opt %s -mlir-print-op-generic | accel-opt | FileCheck %s
// RUN: accel-opt %s -mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// The assembly of docs/ISA.md: positional operands, key=value operands in
// any order (printed in the table's order, only when nonzero), token masks,
// symbols for labels, fp32 as a decimal with a point or its bits in hex.

// CHECK-LABEL: accelisa.program @linear {
// CHECK-NEXT:    accelisa.entry @linear_decode
// CHECK-NEXT:    accelisa.addi r12, r1, 65536
// CHECK-NEXT:    accelisa.mcfg k=4096, g=128, r=16, bits=2, n=2, m=4, rel=ld
// CHECK-NEXT:    accelisa.load wgt[r13], hbm[r12], 32, 15488, nch=32, sstride=15488, rel=mx
// CHECK-NEXT:    accelisa.label @loop
// CHECK-NEXT:    accelisa.bgeu r10, r11, @tail
// CHECK-NEXT:    accelisa.mv act[r14], act[r0], act[r16], wgt[r13], 512, bias=prm[r9], ep=silu, wait=ld, rel=ld
// CHECK-NEXT:    accelisa.store act[0], hbm[r26], r21, 4096, hstride=4096, sstride=4096, wait=vec
// CHECK-NEXT:    accelisa.vfill act[r3], 16, -0.0
// CHECK-NEXT:    accelisa.vfill act[r3], 16, 0x7fc00001
// CHECK-NEXT:    accelisa.vfill act[r3], 16, 0x7f800000
// CHECK-NEXT:    accelisa.vadd act[r1], act[r1], wgt[r0], r5 + 4, bmode=imm, f=2.5
// CHECK-NEXT:    accelisa.vlnorm act[r1], act[r1], prm[r2], 4096, r5, beta=prm[r9], eps=1.0e-05
// CHECK-NEXT:    accelisa.vaset hd=128, kvh=2, kvg=32, kvbits=4, sink=4, window=1020, causal=1
// CHECK-NEXT:    accelisa.jmp @loop
// CHECK-NEXT:    accelisa.label @tail
// CHECK-NEXT:    accelisa.nop wait=ld|mx
// CHECK-NEXT:    accelisa.halt {note = "discardable attributes are kept"}
// CHECK-NEXT:    accelisa.entry @end
// CHECK-NEXT:  }
accelisa.program @linear {
  accelisa.entry @linear_decode
  accelisa.addi r12, r1, 0x10000
  accelisa.mcfg rel=ld, m=4, n=2, bits=2, k=4096, g=128, r=16
  accelisa.load wgt[r13 + 0], hbm[r12], r0 + 32, 15488, sstride=15488, nch=32, rel=mx
  accelisa.label @loop
  accelisa.bgeu r10, r11, @tail
  accelisa.mv act[r14], act[r0], act[r16], wgt[r13], 512, ep=silu, bias=prm[r9], rel=ld, wait=ld
  accelisa.store act[0], hbm[r26], r21, 4096, hstride=4096, sstride=4096, wait=vec
  accelisa.vfill act[r3], 16, -0.0
  accelisa.vfill act[r3], 16, 0x7fc00001
  accelisa.vfill act[r3], 16, 0x7f800000
  accelisa.vadd act[r1], act[r1], wgt[r0], r5 + 4, bmode=imm, f=2.5
  accelisa.vlnorm act[r1], act[r1], prm[r2], 4096, r5 + 0, beta=prm[r9], eps=1.0e-5
  accelisa.vaset causal=1, hd=128, kvh=2, kvg=32, kvfmt=asym, kvbits=4, sink=4, window=1020
  accelisa.jmp @loop
  accelisa.label @tail
  accelisa.nop wait=mx|ld
  accelisa.halt {note = "discardable attributes are kept"}
  accelisa.entry @end
}

// Attributes are the fields by name: integers and codes as i64, fp32 as f32
// (bit-exact), targets as symbols; funct is implied by the op.
// GENERIC: "accelisa.addi"() <{imm = 65536 : i64, rd = 12 : i64, rel = 0 : i64, rs1 = 1 : i64, wait = 0 : i64}>
// GENERIC: "accelisa.load"() <{buf = 0 : i64, ch = 0 : i64, himm = 0 : i64, hstride = 0 : i64, len = 15488 : i64, nch = 5 : i64, rel = 8 : i64, rh = 12 : i64, rimm = 32 : i64, rn = 0 : i64, rs = 13 : i64, simm = 0 : i64, sstride = 15488 : i64, wait = 0 : i64}>
// GENERIC: "accelisa.bgeu"() <{rel = 0 : i64, rs1 = 10 : i64, rs2 = 11 : i64, target = @tail, wait = 0 : i64}>
// GENERIC: "accelisa.vfill"() <{dbuf = 1 : i64, f = -0.000000e+00 : f32,
// GENERIC: "accelisa.vfill"() <{dbuf = 1 : i64, f = 0x7FC00001 : f32,
