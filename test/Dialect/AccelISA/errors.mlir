// RUN: accel-opt %s -split-input-file -verify-diagnostics

// Field ranges are lib/ISA's (isa::verify).
accelisa.program @p {
  // expected-error @+1 {{'accelisa.addi' op rd = 40 is out of range [0, 31]}}
  "accelisa.addi"() <{rd = 40 : i64, rs1 = 0 : i64, imm = 1 : i64}> : () -> ()
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'accelisa.addi' op imm = 2147483648 is out of range [-2147483648, 2147483647]}}
  accelisa.addi r1, r0, 2147483648
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'accelisa.load' op len = 100 is not a multiple of 64}}
  accelisa.load wgt[r13], hbm[r12], 32, 100
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'accelisa.slli' op imm = 40: a shift amount is in [0, 31]}}
  accelisa.slli r1, r2, 40
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'accelisa.mv' op wait mask names the instruction's own unit (mx)}}
  accelisa.mv act[r14], act[r0], act[r16], wgt[r13], 512, wait=mx
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'accelisa.halt' op rel mask 32 names no unit (5 bits: ctl ld st mx vec)}}
  "accelisa.halt"() <{rel = 32 : i64}> : () -> ()
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'accelisa.halt' op wait mask 256 names no unit (5 bits: ctl ld st mx vec)}}
  "accelisa.halt"() <{wait = 256 : i64}> : () -> ()
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'accelisa.mv' op bias is off but its address fields are not 0}}
  "accelisa.mv"() <{rows = 16 : i64, bbuf = 4 : i64}> : () -> ()
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'accelisa.mcfg' op bits = 2: f32 weights have 32}}
  accelisa.mcfg k=64, r=16, fmt=f32, bits=2
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'accelisa.load' op nch = 6 is out of range [0, 5]}}
  "accelisa.load"() <{len = 64 : i64, nch = 6 : i64}> : () -> ()
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'accelisa.jmp' op requires attribute 'target'}}
  "accelisa.jmp"() : () -> ()
}

// -----

// Labels and entries: each name once, every target defined.
accelisa.program @p {
  // expected-error @+1 {{'accelisa.jmp' op target @nowhere is not a label or entry of program @p}}
  accelisa.jmp @nowhere
}

// -----

accelisa.program @p {
  // expected-note @+1 {{first defined here}}
  accelisa.label @a
  accelisa.halt
  // expected-error @+1 {{'accelisa.entry' op redefines @a: a name is defined once per program}}
  accelisa.entry @a
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'arith.constant' op cannot be in an accelisa.program: it holds only instructions, labels and entries}}
  %c = arith.constant 0 : i32
}

// -----

// The assembly: registers, buffers, keys, enums and units.
accelisa.program @p {
  // expected-error @+1 {{expected a register, r0 .. r31}}
  accelisa.add r1, r2, r32
}

// -----

accelisa.program @p {
  // expected-error @+1 {{expected buf to be one of wgt, act, kv, scr, prm, got 'hbm'}}
  accelisa.lds r1, hbm[r2 + 4]
}

// -----

accelisa.program @p {
  // expected-error @+1 {{unknown key 'stride' for load; expected ch, nch, hstride, sstride, wait or rel}}
  accelisa.load wgt[r13], hbm[r12], 32, 64, stride=64
}

// -----

accelisa.program @p {
  // expected-error @+1 {{repeated key 'ch'}}
  accelisa.load wgt[r13], hbm[r12], 32, 64, ch=1, ch=2
}

// -----

accelisa.program @p {
  // expected-error @+1 {{expected nch to be one of 1, 2, 4, 8, 16, 32, got '3'}}
  accelisa.load wgt[r13], hbm[r12], 32, 64, nch=3
}

// -----

accelisa.program @p {
  // expected-error @+1 {{expected a unit (ctl, ld, st, mx, vec), got 'dma'}}
  accelisa.halt wait=ld|dma
}

// -----

accelisa.program @p {
  // expected-error @+1 {{expected hbm[...]}}
  accelisa.load wgt[r13], act[r12], 32, 64
}
