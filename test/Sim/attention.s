; The attention stages of ISA §5.7 against simref.py: KV records (4-bit
; asymmetric in groups of 4, 8-bit symmetric per head, f32) written by vkvq,
; then vqk / vsoftmax / vpv with the causal Λ mask (sink 1, window 2: the
; query at position 3 sees keys 0, 2, 3) and without a mask, the context sum
; split over two vpv (acc=1).
; RUN: %python %S/Inputs/gen_attention.py %t
; RUN: accel-as %s -o %t.accel --config=%accel_src/configs/u280.json --params=%t.params --metadata=%t.json
; RUN: accel-sim %t.accel --entry=main --no-summary --dump=kv:0:1280 --dump=scr:0:384 > %t.out
; RUN: diff %t.expected %t.out
; RUN: accel-sim %t.accel --entry=main --mode=functional --dump=kv:0:1280 --dump=scr:0:384 > %t.out
; RUN: diff %t.expected %t.out

.entry main
  addi     r10, r0, 320         ; V rows
  addi     r11, r0, 640         ; the query (2 heads x 8)
  addi     r12, r0, 512         ; V records
  addi     r13, r0, 3           ; query position
  addi     r14, r0, 1024
  addi     r15, r0, 1152
  load     act[0], hbm[r1], 1, 704, rel=vec
  vaset    hd=8, kvh=2, kvg=4, kvfmt=asym, kvbits=4, sink=1, window=2, causal=1
  vkvq     kv[r0], act[r0], 5, wait=ld
  vkvq     kv[r12], act[r10], r13 + 2
  addi     r20, r0, 672         ; the query of head 1
  vqk      scr[r0], act[r20], kv[r0], 5, r0 + 1, r13, r0, mask=1, scale=0.353553385
  addi     r21, r0, 64
  vsoftmax scr[r21], scr[r0], 5, r13, r0, 1, mask=1
  addi     r22, r0, 128
  vpv      scr[r22], scr[r21], kv[r12], r13 + 2, r0 + 1, r13, r0, mask=1
  addi     r23, r0, 192
  vqk      scr[r23], act[r11], kv[r0], 3, r0, r0, r0, scale=0.353553385
  addi     r24, r0, 256
  vsoftmax scr[r24], scr[r23], 3, r0, r0, 1
  addi     r25, r0, 320
  vpv      scr[r25], scr[r24], kv[r12], 2, r0, r0, r0
  addi     r26, r0, 264
  addi     r27, r0, 640
  vpv      scr[r25], scr[r26], kv[r27], 1, r0, r0, r0, acc=1
  vaset    hd=8, kvh=2, kvfmt=f32
  vkvq     kv[r14], act[r0], 1
  vaset    hd=8, kvh=2, kvfmt=sym, kvbits=8
  vkvq     kv[r15], act[r0], 2
  halt
