; A KV record stride set by vaset recu (ISA §5.7): the records of
; attention.s's K rows (2 heads of 8, 4-bit asymmetric in groups of 4: 64
; bytes) written by vkvq at a stride of 3 x 64 bytes, the 128 padding bytes
; of each 0; vqk and vpv over them give the scores and the context sum of
; the smallest stride, to the bit.
; RUN: %python %S/Inputs/gen_attention.py %t
; RUN: accel-as %s -o %t.accel --config=%accel_src/configs/u280.json --params=%t.params --metadata=%t.json
; RUN: accel-sim %t.accel --entry=main --no-summary --dump=scr:0:96 > %t.packed
; RUN: accel-sim %t.accel --entry=main --no-summary --dump=scr:256:96 > %t.strided
; RUN: %python -c "import sys; v = lambda p: [l.split()[1] for l in open(p)]; sys.exit(v(r'%t.packed') != v(r'%t.strided'))"
; RUN: accel-sim %t.accel --entry=main --no-summary --dump=kv:2048:256 | FileCheck %s
; CHECK: kv+0x810: 0x0000{{[0-9a-f]*[1-9a-f][0-9a-f]*}}
; CHECK-NEXT: kv+0x814: 0x00000000
; CHECK: kv+0x8bc: 0x00000000
; CHECK-NEXT: kv+0x8c0: 0x{{[0-9a-f]*[1-9a-f][0-9a-f]*}}
; RUN: accel-sim %t.accel --entry=main --mode=functional --dump=kv:2048:256 | FileCheck %s

.entry main
  addi     r11, r0, 640         ; the query (2 heads x 8)
  addi     r12, r0, 2048        ; the strided records
  addi     r13, r0, 256
  addi     r14, r0, 320
  addi     r15, r0, 64
  load     act[0], hbm[r1], 1, 704, rel=vec
  vaset    hd=8, kvh=2, kvg=4, kvbits=4, wait=ld
  vkvq     kv[r0], act[r0], 5
  vqk      scr[r0], act[r11], kv[r0], 5, r0 + 1, r0, r0, scale=0.353553385
  vpv      scr[r15], scr[r0], kv[r0], 5, r0 + 1, r0, r0
  vaset    hd=8, kvh=2, kvg=4, kvbits=4, recu=3
  vkvq     kv[r12], act[r0], 5
  vqk      scr[r13], act[r11], kv[r12], 5, r0 + 1, r0, r0, scale=0.353553385
  vpv      scr[r14], scr[r13], kv[r12], 5, r0 + 1, r0, r0
  halt
