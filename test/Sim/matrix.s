; mv / mm over weight tiles packed by simref.py from docs/FORMATS.md §1.4:
; 2-bit asymmetric 2:4 sparse (g8, tiles of 4 rows, a shorter last tile)
; with bias and SiLU; 8-bit symmetric dense per channel, two tokens with
; activation groups of 8 (NUMERICS §4's block form) and requantization;
; f16 weights with fp32 activations (afp=1).
; RUN: %python %S/Inputs/gen_matrix.py %t
; RUN: accel-as %s -o %t.accel --config=%accel_src/configs/u280.json --params=%t.params --metadata=%t.json
; RUN: accel-sim %t.accel --entry=main --no-summary --dump=scr:0:256 > %t.out
; RUN: diff %t.expected %t.out
; RUN: accel-sim %t.accel --entry=main --mode=functional --dump=scr:0:256 > %t.out
; RUN: diff %t.expected %t.out

.entry main
  addi     r10, r0, 832         ; int8 activation of the first mv
  addi     r11, r0, 896         ; its scale
  addi     r12, r0, 1088        ; bias
  addi     r13, r0, 512         ; 8-bit tiles
  addi     r14, r0, 960         ; int8 activations of mm, 16 bytes apart
  addi     r15, r0, 1024        ; their scales, 2 per token
  addi     r16, r0, 64          ; mm output, 32 bytes a token
  addi     r17, r0, 2           ; tokens
  addi     r18, r0, 128         ; mm output scales
  addi     r19, r0, 768         ; f16 tile
  addi     r20, r0, 1152        ; fp32 activation
  addi     r21, r0, 192
  load     wgt[0], hbm[r1], 1, 1280, rel=mx
  mcfg     k=16, g=8, r=4, fmt=asym, bits=2, n=2, m=4
  mv       scr[r0], wgt[r10], wgt[r11], wgt[r0], 6, bias=wgt[r12], ep=silu, wait=ld
  mcfg     k=16, ga=8, r=2, fmt=sym, bits=8
  mm       scr[r16], wgt[r14], wgt[r15], wgt[r13], 3, r17, 16, 32, rq=scr[r18]
  mcfg     k=16, r=2, fmt=f16, bits=16, afp=1
  mv       scr[r21], wgt[r20], wgt[r0], wgt[r19], 2
  halt
