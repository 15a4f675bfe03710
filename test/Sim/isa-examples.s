; docs/ISA.md §8's worked examples run to halt: the double-buffered decode
; linear (9 loads and 8 mv over 4096 x 4096 2:4 tiles, token counters back
; at 0 at halt) and the prompt-tile loop over 200 tokens (two tiles of
; 128 and 72, r5 from --prompt-ids).
; RUN: rm -rf %t && mkdir %t
; RUN: %python -c "import json; json.dump({'io': {'tokens': {'offset': 0, 'bytes': 1024, 'channel': 0}}}, open(r'%t/meta.json', 'w'))"
; RUN: accel-as %s -o %t/ex.accel --config=%accel_src/configs/u280.json --metadata=%t/meta.json
; RUN: accel-sim %t/ex.accel --entry=linear_decode --trace-insns | FileCheck %s --check-prefix=LINEAR
; LINEAR-COUNT-9: {{^}}ld {{.*}} load
; LINEAR-NOT: {{^}}ld
; LINEAR: ctl {{.*}} halt
; RUN: accel-sim %t/ex.accel --entry=linear_decode --trace-insns | grep -c "^mx .* mv " | FileCheck %s --check-prefix=MV
; MV: 8
; RUN: accel-sim %t/ex.accel --entry=prefill_quant --prompt-ids=$(%python -c "print(','.join(['1'] * 200))") --dump-regs | FileCheck %s --check-prefix=TILES
; TILES: r5  = 0x000000c8 (200)
; TILES: r20 = 0x00000100 (256)
; TILES: r21 = 0x00000048 (72)

.entry linear_decode
  addi     r10, r0, 1           ; groups loaded
  addi     r11, r0, 8           ; groups in all
  addi     r12, r1, 0x10000     ; HBM offset of the current group
  addi     r13, r0, 0           ; wgt half being consumed: 0 or 495616
  addi     r14, r0, 8192        ; output address
  addi     r16, r0, 4096        ; scale address
  mcfg     k=4096, g=128, r=16, bits=2, n=2, m=4, rel=ld   ; credit: half 1 is free
  load     wgt[r13], hbm[r12], 32, 15488, nch=32, sstride=15488, rel=mx
loop:
  bgeu     r10, r11, tail       ; nothing left to prefetch
  addi     r12, r12, 15488      ; next group: one tile further in every channel
  xori     r15, r13, 495616     ; the other half
  load     wgt[r15], hbm[r12], 32, 15488, nch=32, sstride=15488, wait=mx, rel=mx
  addi     r10, r10, 1
  mv       act[r14], act[r0], act[r16], wgt[r13], 512, wait=ld, rel=ld
  addi     r14, r14, 2048       ; 512 fp32 outputs further
  addi     r13, r15, 0
  jmp      loop
tail:
  mv       act[r14], act[r0], act[r16], wgt[r13], 512, wait=ld
  load     wgt[0], hbm[r0], 0, 64, wait=mx   ; zero rows: take back the last credit
  halt

.entry prefill_quant
  addi     r20, r0, 0           ; first token of the tile
  addi     r25, r3, 0           ; HBM: fp32 rows, 16384 bytes a token
  addi     r26, r3, 0x800000    ; HBM: int8 rows, 4096 bytes a token
  addi     r27, r0, 524288      ; act: the scales, after 128 int8 rows
tile:
  sub      r21, r5, r20         ; tokens left
  minui    r21, r21, 128        ; tokens in this tile
  load     scr[0], hbm[r25], r21, 16384, hstride=16384, sstride=16384, rel=vec
  vqact    act[r0], scr[r0], act[r27], 4096, r21, bits=8, wait=ld, rel=st
  store    act[0], hbm[r26], r21, 4096, hstride=4096, sstride=4096, wait=vec
  barrier
  addi     r20, r20, 128
  addi     r25, r25, 2097152
  addi     r26, r26, 524288
  bltu     r20, r5, tile
  halt
