; A double-buffered load/mv pipeline overlaps: 8 weight groups of one
; 256-row 2-bit 2:4 tile (K 4096, 247808 B, see timing-matrix.s), each
; loaded over 32 channels into one half of wgt while mv consumes the other.
; By hand (configs/u280.json):
;   load: 247808 / 32 = 7744 B a channel; 8 + 48 + ceil(7744 / 54.30556 =
;     142.6) = 199 cycles. mv: 32 + 247808 / 2048 = 153 cycles (the weight
;     buffer reads faster than HBM fills it). mcfg: 1.
;   The dispatcher runs ahead (4 addi, mcfg at 4, load 1 at 5); mcfg runs
;   [5, 6) and gives the first credit; the loads run back to back, load k
;   in [6 + 199 (k - 1), 6 + 199 k): the credit for load k+1 comes from
;   mv k-1, which ends 153 cycles after load k-1, before load k does. mv k
;   waits for load k: [6 + 199 k, 6 + 199 k + 153). mv 8 ends at
;   6 + 1592 + 153 = 1751; halt runs at 1751, ends 1752.
;   Serial (no overlap) would be 1 + 8 x (199 + 153) + 8 = 2825 cycles;
;   overlapped: 1752, bound by the loads (HBM), as decode should be.
;   ld busy: 8 x 199 + 8 (the zero-row load taking back the credit) = 1600,
;   never waiting for a credit; mx waits for load 1 from mv 1's arrival
;   (cycle 12) to 205 (193), then 199 - 153 = 46 cycles before each of the
;   other 7 mv (322): 515.
; RUN: accel-as %s -o %t.accel --config=%accel_src/configs/u280.json
; RUN: accel-sim %t.accel --entry=main --mode=timing | FileCheck %s
; RUN: accel-sim %t.accel --entry=main --mode=both | FileCheck %s
; CHECK: main: 1752 cycles
; CHECK: ld  busy 1600 cycles (91.3%), 9 instructions
; CHECK-NEXT: st
; CHECK: mx  busy 1225 cycles (69.9%), 9 instructions
; CHECK-NEXT: stalls (cycles): token_wait ld 515

.entry main
  addi     r10, r0, 1           ; groups loaded
  addi     r11, r0, 8           ; groups in all
  addi     r12, r0, 0           ; HBM offset of the current group
  addi     r13, r0, 0           ; wgt half being consumed: 0 or 262144
  mcfg     k=4096, g=128, r=256, fmt=asym, bits=2, n=2, m=4, rel=ld
  load     wgt[r13], hbm[r12], 32, 7744, nch=32, sstride=7744, rel=mx
loop:
  bgeu     r10, r11, tail
  addi     r12, r12, 7744
  xori     r15, r13, 262144
  load     wgt[r15], hbm[r12], 32, 7744, nch=32, sstride=7744, wait=mx, rel=mx
  addi     r10, r10, 1
  mv       scr[r0], act[r0], act[r0], wgt[r13], 256, wait=ld, rel=ld
  addi     r13, r15, 0
  jmp      loop
tail:
  mv       scr[r0], act[r0], act[r0], wgt[r13], 256, wait=ld
  load     wgt[0], hbm[r0], 0, 64, wait=mx
  halt
