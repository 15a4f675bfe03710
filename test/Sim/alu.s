; The control unit: ALU (register and immediate forms), r0, division by 0,
; branches, a counted loop, jal/jr, and the ABI registers at entry.
; RUN: accel-as %s -o %t.accel --config=%accel_src/configs/u280.json
; RUN: accel-sim %t.accel --entry=main --dump-regs | FileCheck %s

.entry main
  add      r20, r7, r0          ; r7 = 1 (batch) at entry
  addi     r1, r0, 10
  addi     r2, r0, -3
  add      r3, r1, r2
  sub      r4, r2, r1
  mul      r5, r1, r2
  divu     r6, r1, r0           ; /0 gives 0xffffffff
  remu     r7, r1, r0           ; %0 gives rs1
  addi     r0, r0, 5            ; ignored
  addi     r8, r0, 0
  addi     r9, r0, 0
loop:
  addi     r8, r8, 1
  add      r9, r9, r8
  bltu     r8, r1, loop         ; r9 = 1 + ... + 10
  sra      r10, r2, r8          ; -3 >> 10, arithmetic
  srl      r11, r2, r8
  slt      r12, r2, r1
  sltu     r13, r2, r1          ; 0xfffffffd < 10 unsigned: no
  jal      r14, sub1
  min      r16, r2, r1
  minu     r17, r2, r1
  xori     r18, r1, -1
  remui    r19, r9, 7           ; 55 mod 7
  slli     r21, r12, 31
  srai     r22, r21, 4
  divui    r23, r9, 4
  maxui    r24, r2, 5
  sltiu    r25, r1, -1
  beq      r0, r0, skip
  addi     r26, r0, 1           ; skipped
skip:
  bge      r2, r0, bad          ; -3 >= 0 signed: no
  blt      r2, r0, done
bad:
  addi     r27, r0, 1
done:
  halt
sub1:
  addi     r15, r0, 77
  jr       r14

; CHECK: r0  = 0x00000000 (0)
; CHECK: r1  = 0x0000000a (10)
; CHECK: r2  = 0xfffffffd (-3)
; CHECK: r3  = 0x00000007 (7)
; CHECK: r4  = 0xfffffff3 (-13)
; CHECK: r5  = 0xffffffe2 (-30)
; CHECK: r6  = 0xffffffff (-1)
; CHECK: r7  = 0x0000000a (10)
; CHECK: r8  = 0x0000000a (10)
; CHECK: r9  = 0x00000037 (55)
; CHECK: r10 = 0xffffffff (-1)
; CHECK: r11 = 0x003fffff (4194303)
; CHECK: r12 = 0x00000001 (1)
; CHECK: r13 = 0x00000000 (0)
; CHECK: r14 = 0x00000013 (19)
; CHECK: r15 = 0x0000004d (77)
; CHECK: r16 = 0xfffffffd (-3)
; CHECK: r17 = 0x0000000a (10)
; CHECK: r18 = 0xfffffff5 (-11)
; CHECK: r19 = 0x00000006 (6)
; CHECK: r20 = 0x00000001 (1)
; CHECK: r21 = 0x80000000 (-2147483648)
; CHECK: r22 = 0xf8000000 (-134217728)
; CHECK: r23 = 0x0000000d (13)
; CHECK: r24 = 0xfffffffd (-3)
; CHECK: r25 = 0x00000001 (1)
; CHECK: r26 = 0x00000000 (0)
; CHECK: r27 = 0x00000000 (0)
