; load and store (ISA §5.1): rows rotating over nch channels from ch, the
; HBM offset advancing by hstride every nch rows, on-chip rows sstride
; apart; stored rows land where the rule puts them and load back.
; RUN: accel-as %s -o %t.accel --config=%accel_src/configs/u280.json
; RUN: accel-sim %t.accel --entry=main --dump=hbm30:0x1000:4 --dump=hbm31:0x1000:4 --dump=hbm0:0x1000:4 --dump=hbm1:0x1000:4 --dump=hbm30:0x1100:4 --dump=hbm31:0x1100:4 --dump=scr:0:4 --dump=scr:256:4 --dump=scr:512:4 --dump=scr:768:4 --dump=scr:1024:4 --dump=scr:1280:4 --dump=hbm3:0x2000:4 --dump-regs | FileCheck %s

.entry main
  addi     r10, r0, 0x100       ; row i's word is 0x100 + i, act rows 128 apart
  addi     r11, r0, 0
  addi     r12, r0, 6
fill:
  sts      act[r11 + 0], r10
  addi     r10, r10, 1
  addi     r11, r11, 128
  addi     r12, r12, -1
  bne      r12, r0, fill
  addi     r13, r0, 0x1000
  ; 6 rows of 64 bytes over 4 channels from 30: 30 31 0 1, then 30 31 at +0x100
  store    act[0], hbm[r13], 6, 64, ch=30, nch=4, hstride=256, sstride=128, rel=ld
  ; back into scr, rows 256 apart, through r5 (0 at entry) + 6
  load     scr[0], hbm[r13], r5 + 6, 64, ch=30, nch=4, hstride=256, sstride=256, wait=st, rel=ctl
  lds      r20, scr[r0 + 1280], wait=ld
  ; zero rows move nothing; two rows on one channel at hstride 0: the later wins
  load     scr[r0 + 4096], hbm[r0], 0, 64
  addi     r14, r0, 0x2000
  store    act[128], hbm[r14], 2, 64, ch=3, sstride=128
  halt

; CHECK: r20 = 0x00000105
; CHECK: hbm30+0x1000: 0x00000100
; CHECK: hbm31+0x1000: 0x00000101
; CHECK: hbm0+0x1000: 0x00000102
; CHECK: hbm1+0x1000: 0x00000103
; CHECK: hbm30+0x1100: 0x00000104
; CHECK: hbm31+0x1100: 0x00000105
; CHECK: scr+0x0: 0x00000100
; CHECK: scr+0x100: 0x00000101
; CHECK: scr+0x200: 0x00000102
; CHECK: scr+0x300: 0x00000103
; CHECK: scr+0x400: 0x00000104
; CHECK: scr+0x500: 0x00000105
; CHECK: hbm3+0x2000: 0x00000102
