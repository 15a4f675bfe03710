; The matrix unit's timing (docs/ENGINE.md §6, docs/SIMULATOR.md) from
; configs/u280.json: cycles = pipeline 32 + max(weight bytes / 2048 (the
; weight buffer's read width, 256 URAM x 8 B), MACs / rate), the rate
; 8192 DSPs x 8 = 65536 MACs/cycle for 2-bit weights, x 4/2 = 131072 for
; 2:4; x 2 = 16384 for 8-bit; 64 for the float path (afp=1). mcfg: 1 cycle.
; 2-bit asym 2:4, K 4096, g128, one tile of 256 rows (FORMATS §1.4):
;   scales 2 x 256 x 32 = 16384 B, zero points 256 x 32 x 2 / 8 = 2048,
;   pattern codes (6 patterns: 3 bits) 256 x 1024 x 3 / 8 = 98304, values
;   256 x 2048 x 2 / 8 = 131072: 247808 B; read 247808 / 2048 = 121 cycles.
;   mv: 256 x 4096 / 131072 = 8 MAC cycles -> 32 + max(121, 8) = 153.
;   mm of 64 tokens: 64 x 256 x 4096 / 131072 = 512 -> 32 + 512 = 544.
; 8-bit sym dense, g128: 16384 + 1048576 = 1064960 B -> 520 read cycles.
;   mv: 1048576 / 16384 = 64 -> 32 + 520 = 552.
;   mm of 64 tokens: 4096 MAC cycles -> 32 + 4096 = 4128.
; f16, K 256, 64 rows, afp=1: 32768 B -> 16 read cycles; 16384 / 64 = 256
;   MAC cycles -> 32 + 256 = 288.
; RUN: accel-as %s -o %t.accel --config=%accel_src/configs/u280.json
; RUN: accel-sim %t.accel --entry=main --mode=timing --trace=%t.trace | FileCheck %s --check-prefix=SUM
; SUM: mx  busy 5668 cycles
; RUN: %python %S/Inputs/slices.py %t.trace | FileCheck %s
; CHECK: mx 1 mcfg 2 1
; CHECK: mx 2 mv 3 153
; CHECK: mx 3 mm 156 544
; CHECK: mx 4 mcfg 700 1
; CHECK: mx 5 mv 701 552
; CHECK: mx 6 mm 1253 4128
; CHECK: mx 7 mcfg 5381 1
; CHECK: mx 8 mv 5382 288
; The data mode gives the same cycles (zero activations and weights).
; RUN: accel-sim %t.accel --entry=main --mode=both --trace=%t.both
; RUN: %python %S/Inputs/slices.py %t.both | FileCheck %s

.entry main
  addi     r10, r0, 64
  mcfg     k=4096, g=128, r=256, fmt=asym, bits=2, n=2, m=4
  mv       scr[r0], act[r0], act[r0], wgt[r0], 256
  mm       scr[r0], act[r0], act[r0], wgt[r0], 256, r10, 4096, 1024
  mcfg     k=4096, g=128, r=256, fmt=sym, bits=8
  mv       scr[r0], act[r0], act[r0], wgt[r0], 256
  mm       scr[r0], act[r0], act[r0], wgt[r0], 256, r10, 4096, 1024
  mcfg     k=256, r=64, fmt=f16, bits=16, afp=1
  mv       scr[r0], act[r0], act[r0], wgt[r0], 64
  halt
