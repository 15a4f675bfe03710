; Every vector instruction of ISA §5.4-5.6 and §5.8 against the numpy model
; of test/Sim/Inputs/simref.py: the inputs come from the params section
; (placed by the metadata, loaded from HBM), every result goes to scr, and
; the whole scr range is compared word for word. r20 is reassigned before
; each instruction: the vector unit sees its value at dispatch.
; RUN: %python %S/Inputs/gen_vector.py %t
; RUN: accel-as %s -o %t.accel --config=%accel_src/configs/u280.json --params=%t.params --metadata=%t.json
; RUN: accel-sim %t.accel --entry=main --no-summary --dump=scr:0:1920 > %t.out
; RUN: diff %t.expected %t.out
; RUN: accel-sim %t.accel --entry=main --mode=functional --dump=scr:0:1920 > %t.out
; RUN: diff %t.expected %t.out

.entry main
  addi     r10, r0, 64          ; y
  addi     r11, r0, 128         ; gamma
  addi     r12, r0, 192         ; cos [4, 6]
  addi     r13, r0, 320         ; sin [4, 6]
  addi     r14, r0, 448         ; rope input: 2 tokens x 2 heads x 8
  addi     r15, r0, 576         ; 2 rows of 16 to quantize
  addi     r16, r0, 704         ; argmax input
  addi     r17, r0, 1           ; rope position of token 0
  load     act[0], hbm[r1], 1, 768, rel=vec
  vadd     scr[r0], act[r0], act[r10], 16, wait=ld
  addi     r20, r0, 64
  vsub     scr[r20], act[r0], act[r10], 16, bmode=bcast
  addi     r20, r0, 128
  vmul     scr[r20], act[r0], wgt[r0], 16, bmode=imm, f=-1.5
  addi     r20, r0, 192
  vdiv     scr[r20], act[r0], act[r10], 16
  addi     r20, r0, 256
  vmax     scr[r20], act[r0], act[r10], 16
  addi     r20, r0, 320
  vmin     scr[r20], act[r0], act[r10], r17 + 15
  addi     r20, r0, 384
  vrelu    scr[r20], act[r0], 16
  addi     r20, r0, 448
  vsilu    scr[r20], act[r0], 16
  addi     r20, r0, 512
  vgelut   scr[r20], act[r0], 16
  addi     r20, r0, 576
  vgelue   scr[r20], act[r0], 16
  addi     r20, r0, 640
  vexp     scr[r20], act[r0], 16
  addi     r20, r0, 704
  vrmsnorm scr[r20], act[r0], act[r11], 8, 2, eps=1e-05
  addi     r20, r0, 768
  vlnorm   scr[r20], act[r0], act[r11], 8, r17 + 1, beta=act[r10], eps=1e-05
  addi     r20, r0, 832
  vrope    scr[r20], act[r14], act[r12], act[r13], 2, r17, hd=8, rot=6, heads=2, style=half
  addi     r20, r0, 960
  vrope    scr[r20], act[r14], act[r12], act[r13], 2, r17, hd=8, rot=6, heads=2, style=inter
  addi     r20, r0, 1088
  addi     r21, r0, 1152
  vqact    scr[r20], act[r15], scr[r21], 16, 2, ga=8, bits=8
  addi     r20, r0, 1216
  addi     r21, r0, 1344
  vqact    scr[r20], act[r15], scr[r21], 16, 2, bits=4, fake=1
  addi     r20, r0, 1408
  vargmax  scr[r20], act[r16], 16
  addi     r20, r0, 1472
  addi     r21, r0, 1536
  addi     r22, r0, 1600
  vquant   scr[r20], act[r0], scr[r21], scr[r22], 16, 1, g=4, bits=4, f16=1
  addi     r23, r0, 1664
  vdequant scr[r23], scr[r20], scr[r21], scr[r22], 16, 1, g=4, bits=4, f16=1
  addi     r20, r0, 1728
  vcopy    scr[r20], act[r10], 64
  addi     r20, r0, 1792
  vfill    scr[r20], 4, 0x12345678
  addi     r20, r0, 1808
  addi     r21, r0, 1824
  addi     r24, r0, 96
  vquant   scr[r20], act[r24], scr[r21], scr[r0], 8, 1, bits=8, sym=1
  addi     r22, r0, 1856
  vdequant scr[r22], scr[r20], scr[r21], scr[r0], 8, 1, bits=8, sym=1
  halt
