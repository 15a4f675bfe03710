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

// -----

// Register ranges bound counts and addresses: a prefill tile's row count
// r11 = min(r5 - r10, 16) makes the load of r11 rows of 64 bytes end by
// act[1024], so the vadd at act[2048] needs no token and the one at
// act[512] waits. A row past a count bound by nothing (r5) runs to the end
// of the buffer.
// CHECK-LABEL: accelisa.program @bounded_rows
// CHECK:      accelisa.load act[0], hbm[r1], r11, 64, sstride=64, rel=vec
// CHECK-NEXT: accelisa.vadd act[r20], act[r20], act[r20], 16{{$}}
// CHECK-NEXT: accelisa.vadd act[r21], act[r21], act[r21], 16, wait=ld
// CHECK-NEXT: accelisa.load act[0], hbm[r1], r5, 64, sstride=64, wait=vec, rel=vec
// CHECK-NEXT: accelisa.vadd act[r22], act[r22], act[r22], 16, wait=ld
accelisa.program @bounded_rows {
  accelisa.entry @run
  accelisa.sub r11, r5, r10
  accelisa.minui r11, r11, 16
  accelisa.addi r20, r0, 2048
  accelisa.addi r21, r0, 512
  accelisa.addi r22, r0, 1048576
  accelisa.load act[0], hbm[r1], r11, 64, sstride=64
  accelisa.vadd act[r20], act[r20], act[r20], 16
  accelisa.vadd act[r21], act[r21], act[r21], 16
  accelisa.load act[0], hbm[r1], r5, 64, sstride=64
  accelisa.vadd act[r22], act[r22], act[r22], 16
  accelisa.halt
}

// -----

// HBM is tracked per region, channel and offset: the kv store to channel 3
// orders neither the load from channel 4 nor the one 4096 bytes further
// in channel 3; a load at an offset scaled by the position r6 may read the
// stored bytes and waits for the store. Rows rotate over nch channels.
// CHECK-LABEL: accelisa.program @hbm_channels
// CHECK:      accelisa.store scr[0], hbm[r2], 1, 64, ch=3, rel=ld
// CHECK-NEXT: accelisa.load act[0], hbm[r2], 1, 64, ch=4{{$}}
// CHECK-NEXT: accelisa.load act[64], hbm[r2 + 4096], 1, 64, ch=3{{$}}
// CHECK-NEXT: accelisa.load act[128], hbm[r20], 4, 64, ch=2, nch=4, sstride=64, wait=st
accelisa.program @hbm_channels {
  accelisa.entry @run
  accelisa.muli r20, r6, 64
  accelisa.add r20, r20, r2
  accelisa.store scr[0], hbm[r2], 1, 64, ch=3
  accelisa.load act[0], hbm[r2], 1, 64, ch=4
  accelisa.load act[64], hbm[r2 + 4096], 1, 64, ch=3
  accelisa.load act[128], hbm[r20], 4, 64, ch=2, nch=4, sstride=64
  accelisa.halt
}

// -----

// Values flow through calls and join where control meets: the step called
// with r20 = 0 and with r20 = 4096 loads a row from act[0] to act[4160],
// not act[8192]; a loop's changing counter is unknown in it.
// CHECK-LABEL: accelisa.program @calls
// CHECK:      accelisa.label @step
// CHECK:      accelisa.load act[r20], hbm[r1], 1, 64, rel=vec
// CHECK-NEXT: accelisa.vadd act[r21], act[r21], act[r21], 16{{$}}
// CHECK-NEXT: accelisa.vadd act[r0], act[r0], act[r0], 16, wait=ld
// CHECK:      accelisa.label @loop
// CHECK:      accelisa.load act[r22], hbm[r1], 1, 64, rel=vec
// CHECK-NEXT: accelisa.vadd act[r21], act[r21], act[r21], 16, wait=ld
accelisa.program @calls {
  accelisa.entry @first
  accelisa.addi r20, r0, 0
  accelisa.jal r8, @step
  accelisa.halt
  accelisa.entry @second
  accelisa.addi r20, r0, 4096
  accelisa.jal r8, @step
  accelisa.halt
  accelisa.label @step
  accelisa.addi r21, r0, 8192
  accelisa.load act[r20], hbm[r1], 1, 64
  accelisa.vadd act[r21], act[r21], act[r21], 16
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.barrier
  accelisa.addi r22, r0, 0
  accelisa.label @loop
  accelisa.load act[r22], hbm[r1], 1, 64
  accelisa.vadd act[r21], act[r21], act[r21], 16
  accelisa.barrier
  accelisa.addi r22, r22, 64
  accelisa.bltu r22, r20, @loop
  accelisa.jr r8
}

// -----

// A multi-row vqk and vpv (ISA §5.7) read and write `rows` rows one after
// another: the vqk of 2 rows of hd 16 over 16 keys reads the queries at
// act[0, 128), so it waits for the load of the second row's query at
// act[64]; its 2 rows of 16 scores end at scr[128], so the store of
// scr[64] waits for it. The store of act[576] waits for the vpv's 2 rows of
// 16 outputs, act[512, 640).
// CHECK-LABEL: accelisa.program @attention_rows
// CHECK:      accelisa.load act[64], hbm[r1], 1, 64, rel=vec
// CHECK-NEXT: accelisa.vaset hd=16, kvh=1, kvfmt=f32, qpk=2
// CHECK-NEXT: accelisa.vqk scr[r0], act[r0], kv[r0], 16, 0, r0, r0, rows=2, scale={{.*}}, wait=ld, rel=st
// CHECK-NEXT: accelisa.store scr[64], hbm[r2], 1, 64, wait=vec
// CHECK-NEXT: accelisa.vpv act[r20], scr[r0], kv[r0], 16, 0, r0, r0, rows=2, rel=st
// CHECK-NEXT: accelisa.store act[576], hbm[r2 + 64], 1, 64, wait=vec
accelisa.program @attention_rows {
  accelisa.entry @run
  accelisa.addi r20, r0, 512
  accelisa.load act[64], hbm[r1], 1, 64
  accelisa.vaset hd=16, kvh=1, kvfmt=f32, qpk=2
  accelisa.vqk scr[r0], act[r0], kv[r0], 16, 0, r0, r0, rows=2, scale=1.0
  accelisa.store scr[64], hbm[r2], 1, 64
  accelisa.vpv act[r20], scr[r0], kv[r0], 16, 0, r0, r0, rows=2
  accelisa.store act[576], hbm[r2 + 64], 1, 64
  accelisa.halt
}

// -----

// mqk's scores and vpq's probabilities (ISA §5.9) lie P = R[rp] elements
// apart from row to row: with 2 rows of 16 keys and a pitch of 64, row 1's
// are at scr[256, 320), not in the rows × n = scr[0, 128) after row 0's.
// The store of scr[256] waits for the mqk's scores; the load into scr[256]
// waits for the vpq that reads them (and for the store and the mqk). A
// pitch from data (lds) is unknown: the scores run to the end of the
// buffer, so the store of scr[8192] waits for that mqk.
// CHECK-LABEL: accelisa.program @pitched_rows
// CHECK:      accelisa.mqk scr[r0], act[r0], act[r21], kv[r0], r0, r0, 16, 0, 2, pitch=r20, scale={{.*}}, rel=ld|st|vec
// CHECK-NEXT: accelisa.store scr[256], hbm[r2], 1, 64, wait=mx, rel=ld
// CHECK-NEXT: accelisa.vaset
// CHECK-NEXT: accelisa.vpq scr[r22], scr[r0], scr[r23], kv[r0], r0, r0, 16, 0, 2, pitch=r20, wait=mx, rel=ld|mx
// CHECK-NEXT: accelisa.load scr[256], hbm[r1], 1, 64, wait=st|mx|vec, rel=mx
// CHECK-NEXT: accelisa.lds r24, act[2048]
// CHECK-NEXT: accelisa.mqk {{.*}}, pitch=r24, scale={{.*}}, wait=ld|vec, rel=st
// CHECK-NEXT: accelisa.store scr[8192], hbm[r2 + 64], 1, 64, wait=mx
accelisa.program @pitched_rows {
  accelisa.entry @run
  accelisa.addi r20, r0, 64
  accelisa.addi r21, r0, 512
  accelisa.addi r22, r0, 1024
  accelisa.addi r23, r0, 512
  accelisa.maset hd=16, kvh=1, kvg=16, kvbits=4, qpk=2
  accelisa.mqk scr[r0], act[r0], act[r21], kv[r0], r0, r0, 16, r0, 2, pitch=r20, scale=1.0
  accelisa.store scr[256], hbm[r2], 1, 64
  accelisa.vaset hd=16, kvh=1, kvg=16, kvbits=4, qpk=2
  accelisa.vpq scr[r22], scr[r0], scr[r23], kv[r0], r0, r0, 16, r0, 2, pitch=r20
  accelisa.load scr[256], hbm[r1], 1, 64
  accelisa.lds r24, act[r0 + 2048]
  accelisa.mqk scr[r0], act[r0], act[r21], kv[r0], r0, r0, 16, r0, 2, pitch=r24, scale=1.0
  accelisa.store scr[8192], hbm[r2 + 64], 1, 64
  accelisa.halt
}

// -----

// A call returns with the unit state its subroutine left: after a jal the
// vqk's RoPE tables by rank (vrset) and attention state (vaset) are
// unknown, so it may read any buffer and the load into scr[8192] waits for
// it; before the call (the same state known, tables at scr[1024] and
// scr[2048], 16 rows of 32 bytes) the load does not. Without the jal the
// second load does not wait either (NOCALL).
// RUN: sed '/jal r8, @nothing/d' %s | accel-opt -split-input-file --accel-insert-tokens | FileCheck %s --check-prefix=NOCALL
// NOCALL-LABEL: accelisa.program @call_forgets_state
// NOCALL:      accelisa.barrier
// NOCALL-NEXT: accelisa.vqk {{.*}}, rope=1, scale=1.0{{$}}
// NOCALL-NEXT: accelisa.load scr[8192], hbm[r1], 1, 64{{$}}
// CHECK-LABEL: accelisa.program @call_forgets_state
// CHECK:      accelisa.vqk {{.*}}, rope=1, scale=1.0{{$}}
// CHECK-NEXT: accelisa.load scr[8192], hbm[r1], 1, 64{{$}}
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.jal r8, @nothing
// CHECK-NEXT: accelisa.vqk {{.*}}, rope=1, scale=1.0, rel=ld
// CHECK-NEXT: accelisa.load scr[8192], hbm[r1], 1, 64, wait=vec
accelisa.program @call_forgets_state {
  accelisa.entry @run
  accelisa.addi r20, r0, 1024
  accelisa.addi r21, r0, 2048
  accelisa.vaset hd=16, kvh=1, kvfmt=f32, qpk=2
  accelisa.vrset scr[r20], scr[r21], rot=8
  accelisa.vqk scr[r0], act[r0], kv[r0], 16, 0, r0, r0, rope=1, scale=1.0
  accelisa.load scr[8192], hbm[r1], 1, 64
  accelisa.barrier
  accelisa.jal r8, @nothing
  accelisa.vqk scr[r0], act[r0], kv[r0], 16, 0, r0, r0, rope=1, scale=1.0
  accelisa.load scr[8192], hbm[r1], 1, 64
  accelisa.halt
  accelisa.label @nothing
  accelisa.jr r8
}

// -----

// No barrier at a call or a return: a subroutine's entry slots (instructions
// of each data unit that access nothing) stand for what its calls leave
// outstanding, its exit slots give the code after its calls their tokens,
// and each call's return slots take those its code does not take at an
// access. The vadd waits, through the entry slots, for the caller's load of
// act[0] and (second call) for the store that reads act[64] before the
// vadd overwrites it; the load into act[12288] waits for nothing and
// overlaps the caller's work, as does the load into act[8192] after the
// first call. The store of act[64] after the first call waits for the
// vadd at the access; after the second call nothing reads it, and the
// store unit's return slot takes the token.
// CHECK-LABEL: accelisa.program @call_slots
// CHECK:      accelisa.load act[0], hbm[r1], 1, 64{{$}}
// CHECK-NEXT: accelisa.jal r8, @attend
// CHECK-NEXT: accelisa.load wgt[0], hbm[0], 0, 64{{$}}
// CHECK-NEXT: accelisa.store wgt[0], hbm[0], 0, 64{{$}}
// CHECK-NEXT: accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1{{$}}
// CHECK-NEXT: accelisa.vaset hd=16, kvh=1, kvfmt=f32{{$}}
// CHECK-NEXT: accelisa.load act[8192], hbm[r1], 1, 64{{$}}
// CHECK-NEXT: accelisa.store act[64], hbm[r2], 1, 64, wait=vec
// CHECK-NEXT: accelisa.jal r8, @attend
// CHECK-NEXT: accelisa.load wgt[0], hbm[0], 0, 64{{$}}
// CHECK-NEXT: accelisa.store wgt[0], hbm[0], 0, 64, wait=vec
// CHECK:      accelisa.label @attend
// CHECK-NEXT: accelisa.load wgt[0], hbm[0], 0, 64, rel=vec
// CHECK-NEXT: accelisa.store wgt[0], hbm[0], 0, 64, rel=vec
// CHECK-NEXT: accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1{{$}}
// CHECK-NEXT: accelisa.vaset hd=16, kvh=1, kvfmt=f32{{$}}
// CHECK-NEXT: accelisa.load act[12288], hbm[r1], 1, 64{{$}}
// CHECK-NEXT: accelisa.vadd act[r20], act[r0], act[r0], 16, wait=ld|st
// CHECK-NEXT: accelisa.load wgt[0], hbm[0], 0, 64{{$}}
// CHECK-NEXT: accelisa.store wgt[0], hbm[0], 0, 64{{$}}
// CHECK-NEXT: accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1{{$}}
// CHECK-NEXT: accelisa.vaset hd=16, kvh=1, kvfmt=f32, rel=st
// CHECK-NEXT: accelisa.jr r8
accelisa.program @call_slots {
  accelisa.entry @run
  accelisa.addi r20, r0, 64
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.jal r8, @attend
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.load act[8192], hbm[r1], 1, 64
  accelisa.store act[64], hbm[r2], 1, 64
  accelisa.jal r8, @attend
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.halt
  accelisa.label @attend
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.load act[12288], hbm[r1], 1, 64
  accelisa.vadd act[r20], act[r0], act[r0], 16
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
}

// -----

// A token from before a call to after it passes over the call when the
// subroutine neither gives nor takes one between the same units: the vadd
// after the call waits for the caller's load of act[0] directly.
// CHECK-LABEL: accelisa.program @passed_over_call
// CHECK:      accelisa.load act[0], hbm[r1], 1, 64, rel=vec
// CHECK-NEXT: accelisa.jal r8, @sub
// CHECK-NEXT: accelisa.load wgt[0], hbm[0], 0, 64{{$}}
// CHECK-NEXT: accelisa.store wgt[0], hbm[0], 0, 64{{$}}
// CHECK-NEXT: accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1{{$}}
// CHECK-NEXT: accelisa.vaset hd=16, kvh=1, kvfmt=f32{{$}}
// CHECK-NEXT: accelisa.vadd act[r0], act[r0], act[r0], 16, wait=ld
// CHECK:      accelisa.label @sub
// CHECK-NOT:  wait=
// CHECK-NOT:  rel=
// CHECK:      accelisa.jr r8
accelisa.program @passed_over_call {
  accelisa.entry @run
  accelisa.addi r20, r0, 8192
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.jal r8, @sub
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.halt
  accelisa.label @sub
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.vadd act[r20], act[r20], act[r20], 16
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
}

// -----

// The same token over two calls, the second of which gives the loader's
// tokens to the vector unit itself (load act[4096] -> vadd): passed over it,
// the caller's token would be taken by that vadd in its place, so the pass
// runs again with ld -> vec forbidden over @second and the vadd after the
// call waits for @second's exit slot of ld instead, which comes after every
// earlier load.
// CHECK-LABEL: accelisa.program @exit_slot_chain
// CHECK:      accelisa.load act[0], hbm[r1], 1, 64{{$}}
// CHECK-NEXT: accelisa.jal r8, @first
// CHECK:      accelisa.jal r8, @second
// CHECK:      accelisa.vadd act[r0], act[r0], act[r0], 16, wait=ld
// CHECK:      accelisa.label @first
// CHECK-NOT:  wait=
// CHECK-NOT:  rel=
// CHECK:      accelisa.label @second
// CHECK:      accelisa.load act[4096], hbm[r1], 1, 64, rel=vec
// CHECK-NEXT: accelisa.vadd act[r21], act[r21], act[r21], 16, wait=ld
// CHECK-NEXT: accelisa.load wgt[0], hbm[0], 0, 64, rel=vec
// CHECK-NEXT: accelisa.store wgt[0], hbm[0], 0, 64{{$}}
// CHECK-NEXT: accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1{{$}}
// CHECK-NEXT: accelisa.vaset hd=16, kvh=1, kvfmt=f32{{$}}
// CHECK-NEXT: accelisa.jr r8
accelisa.program @exit_slot_chain {
  accelisa.entry @run
  accelisa.addi r20, r0, 8192
  accelisa.addi r21, r0, 4096
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.jal r8, @first
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jal r8, @second
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.halt
  accelisa.label @first
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.vadd act[r20], act[r20], act[r20], 16
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
  accelisa.label @second
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.load act[4096], hbm[r1], 1, 64
  accelisa.vadd act[r21], act[r21], act[r21], 16
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
}

// -----

// At a call, what an earlier call left that the subroutine's first accesses
// would wait for is ordered before each unit's last instruction since that
// call: @second's load into act[8192] overwrites what @first's vadd wrote,
// so the loader's return slot after the first call takes @first's exit-slot
// token of vec, and @second's load waits for nothing.
// CHECK-LABEL: accelisa.program @last_of
// CHECK:      accelisa.jal r8, @first
// CHECK-NEXT: accelisa.load wgt[0], hbm[0], 0, 64, wait=vec
// CHECK:      accelisa.jal r8, @second
// CHECK-NOT:  wait=
// CHECK:      accelisa.vaset hd=16, kvh=1, kvfmt=f32, rel=ld
// CHECK-NEXT: accelisa.jr r8
// CHECK-NEXT: accelisa.label @second
// CHECK-NOT:  wait=
// CHECK-NOT:  rel=
// CHECK:      accelisa.jr r8
accelisa.program @last_of {
  accelisa.entry @run
  accelisa.addi r20, r0, 8192
  accelisa.jal r8, @first
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jal r8, @second
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.halt
  accelisa.label @first
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.vadd act[r20], act[r0], act[r0], 16
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
  accelisa.label @second
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.load act[8192], hbm[r1], 1, 64
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.store wgt[0], hbm[r0], 0, 64
  accelisa.mcfg k=1, r=1, fmt=f32, bits=32, afp=1
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
}
