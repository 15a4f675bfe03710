; The integer attention of ISA §5.9 over 5 keys in chunks of 2, 2 and 1
; (keys of 2 heads of 8, 4-bit asymmetric in groups of 4: attention.s's K
; and V rows; 2 rows, one per KV head) writes exactly the bytes of the
; one-shot form: mqk per chunk at its offset with pitch=r5 (all 5 keys), one
; vsoftmax, vpq part=first/next/last (the running max, then the scales),
; vpq part=quant and mpv part=first/next/last per chunk; and again with the
; loop form (vpq first and last, mpv first and last over no keys).
; RUN: %python %S/Inputs/gen_attention.py %t
; RUN: accel-as %s -o %t.accel --config=%accel_src/configs/u280.json --params=%t.params --metadata=%t.json
; RUN: accel-objdump %t.accel | FileCheck %s --check-prefix=ASM
; ASM: vpq      scr[r0], scr[r11], scr[r12], kv[r20], r6, r0, r6, 0, 2, pitch=r5, part=first
; ASM: mpv      scr[r14], scr[r10], scr[r12], kv[r13], r7, r0, r7, 0, 2, part=last, wait=vec
; ASM: vpq      scr[r0], scr[r0], scr[r12], kv[r0], r0, r0, 0, 0, 2, part=first
; RUN: accel-sim %t.accel --entry=main --no-summary --dump=scr:128:40 --dump=scr:320:16 --dump=scr:384:64 > %t.one
; RUN: accel-sim %t.accel --entry=main --no-summary --dump=scr:512:40 --dump=scr:640:16 --dump=scr:768:64 > %t.chunks
; RUN: accel-sim %t.accel --entry=main --mode=functional --dump=scr:512:40 --dump=scr:896:16 --dump=scr:960:64 > %t.loop
; RUN: %python -c "import sys; v = lambda p: [l.split()[1] for l in open(p)]; sys.exit(not (v(r'%t.one') == v(r'%t.chunks') == v(r'%t.loop')))"
; The context is not trivially 0: row 0's first output is nonzero.
; RUN: FileCheck %s < %t.one
; CHECK: scr+0x180: 0x{{[0-9a-f]*[1-9a-f][0-9a-f]*}}

.entry main
  addi     r5, r0, 5            ; N: all keys
  addi     r6, r0, 2            ; chunks 0 and 1: 2 keys
  addi     r7, r0, 1            ; chunk 2: 1 key
  addi     r20, r0, 512         ; the V records
  addi     r21, r0, 320         ; the V rows
  addi     r22, r0, 640         ; the query (2 heads x 8)
  addi     r23, r0, 64          ; the query's scales
  load     act[0], hbm[r1], 1, 704, rel=vec
  vaset    hd=8, kvh=2, kvg=4, kvbits=4
  maset    hd=8, kvh=2, kvg=4, kvbits=4
  vkvq     kv[r0], act[r0], 5, wait=ld
  vkvq     kv[r20], act[r21], 5
  vqact    scr[r0], act[r22], scr[r23], 8, 2, bits=8, rel=mx

; One shot: scores at 128, probabilities at 192, weights at 256, their
; scales at 320, the context at 384.
  addi     r10, r0, 128
  mqk      scr[r10], scr[r0], scr[r23], kv[r0], r5, r0, r5, r0, 2, scale=0.353553385, wait=vec, rel=vec
  addi     r11, r0, 192
  vsoftmax scr[r11], scr[r10], r5, r0, r0, 2, wait=mx
  addi     r10, r0, 256
  addi     r12, r0, 320
  vpq      scr[r10], scr[r11], scr[r12], kv[r20], r5, r0, r5, r0, 2, rel=mx
  addi     r13, r0, 384
  mpv      scr[r13], scr[r10], scr[r12], kv[r20], r5, r0, r5, r0, 2, wait=vec

; Chunks: scores at 512 + 4 x first key, probabilities at 576, scales at
; 640, each chunk's weights at 704, 720, 736, the context at 768.
  addi     r10, r0, 512
  mqk      scr[r10], scr[r0], scr[r23], kv[r0], r6, r0, r6, r0, 2, pitch=r5, scale=0.353553385
  addi     r10, r0, 520
  addi     r13, r0, 128
  mqk      scr[r10], scr[r0], scr[r23], kv[r13], r6, r0, r6, r0, 2, pitch=r5, scale=0.353553385
  addi     r10, r0, 528
  addi     r13, r0, 256
  mqk      scr[r10], scr[r0], scr[r23], kv[r13], r7, r0, r7, r0, 2, pitch=r5, scale=0.353553385, rel=vec
  addi     r10, r0, 512
  addi     r11, r0, 576
  vsoftmax scr[r11], scr[r10], r5, r0, r0, 2, wait=mx
  addi     r12, r0, 640
  vpq      scr[r0], scr[r11], scr[r12], kv[r20], r6, r0, r6, r0, 2, pitch=r5, part=first
  addi     r11, r0, 584
  addi     r13, r0, 640
  vpq      scr[r0], scr[r11], scr[r12], kv[r13], r6, r0, r6, r0, 2, pitch=r5, part=next
  addi     r11, r0, 592
  addi     r13, r0, 768
  vpq      scr[r0], scr[r11], scr[r12], kv[r13], r7, r0, r7, r0, 2, pitch=r5, part=last
  addi     r10, r0, 704
  addi     r11, r0, 576
  vpq      scr[r10], scr[r11], scr[r12], kv[r20], r6, r0, r6, r0, 2, pitch=r5, part=quant, rel=mx
  addi     r14, r0, 768
  mpv      scr[r14], scr[r10], scr[r12], kv[r20], r6, r0, r6, r0, 2, part=first, wait=vec
  addi     r10, r0, 720
  addi     r11, r0, 584
  addi     r13, r0, 640
  vpq      scr[r10], scr[r11], scr[r12], kv[r13], r6, r0, r6, r0, 2, pitch=r5, part=quant, rel=mx
  mpv      scr[r14], scr[r10], scr[r12], kv[r13], r6, r0, r6, r0, 2, part=next, wait=vec
  addi     r10, r0, 736
  addi     r11, r0, 592
  addi     r13, r0, 768
  vpq      scr[r10], scr[r11], scr[r12], kv[r13], r7, r0, r7, r0, 2, pitch=r5, part=quant, rel=mx
  mpv      scr[r14], scr[r10], scr[r12], kv[r13], r7, r0, r7, r0, 2, part=last, wait=vec

; The loop form: vpq part=first and mpv part=first over no keys before the
; chunks, part=next for every chunk, part=last over no keys after them;
; scales at 896, weights at 1024, 1040, 1056, the context at 960.
  addi     r12, r0, 896
  vpq      scr[r0], scr[r0], scr[r12], kv[r0], r0, r0, r0, r0, 2, part=first
  addi     r11, r0, 576
  vpq      scr[r0], scr[r11], scr[r12], kv[r20], r6, r0, r6, r0, 2, pitch=r5, part=next
  addi     r11, r0, 584
  addi     r13, r0, 640
  vpq      scr[r0], scr[r11], scr[r12], kv[r13], r6, r0, r6, r0, 2, pitch=r5, part=next
  addi     r11, r0, 592
  addi     r13, r0, 768
  vpq      scr[r0], scr[r11], scr[r12], kv[r13], r7, r0, r7, r0, 2, pitch=r5, part=next
  vpq      scr[r0], scr[r0], scr[r12], kv[r0], r0, r0, r0, r0, 2, part=last
  addi     r14, r0, 960
  mpv      scr[r14], scr[r0], scr[r0], kv[r0], r0, r0, r0, r0, 2, part=first
  addi     r10, r0, 1024
  addi     r11, r0, 576
  vpq      scr[r10], scr[r11], scr[r12], kv[r20], r6, r0, r6, r0, 2, pitch=r5, part=quant, rel=mx
  mpv      scr[r14], scr[r10], scr[r12], kv[r20], r6, r0, r6, r0, 2, part=next, wait=vec
  addi     r10, r0, 1040
  addi     r11, r0, 584
  addi     r13, r0, 640
  vpq      scr[r10], scr[r11], scr[r12], kv[r13], r6, r0, r6, r0, 2, pitch=r5, part=quant, rel=mx
  mpv      scr[r14], scr[r10], scr[r12], kv[r13], r6, r0, r6, r0, 2, part=next, wait=vec
  addi     r10, r0, 1056
  addi     r11, r0, 592
  addi     r13, r0, 768
  vpq      scr[r10], scr[r11], scr[r12], kv[r13], r7, r0, r7, r0, 2, pitch=r5, part=quant, rel=mx
  mpv      scr[r14], scr[r10], scr[r12], kv[r13], r7, r0, r7, r0, 2, part=next, wait=vec
  mpv      scr[r14], scr[r0], scr[r12], kv[r0], r0, r0, r0, r0, 2, part=last
  halt
