.entry main
start:
  nop      wait=ld|st|mx|vec, rel=ld
  barrier
  add      r1, r2, r3
  sub      r31, r0, r31
  mul      r4, r5, r6
  and      r1, r1, r1
  or       r2, r3, r4
  xor      r5, r6, r7
  sll      r8, r9, r10
  srl      r11, r12, r13
  sra      r14, r15, r16
  slt      r17, r18, r19
  sltu     r20, r21, r22
  min      r23, r24, r25
  max      r26, r27, r28
  minu     r29, r30, r31
  maxu     r1, r2, r3
  divu     r4, r5, r6
  remu     r7, r8, r9
  addi     r1, r0, -2147483648
  muli     r2, r3, 2147483647
  andi     r4, r5, 255
  ori      r6, r7, -1
  xori     r8, r9, 495616
  slli     r10, r11, 31
  srli     r12, r13, 1
  srai     r14, r15, 0
  slti     r16, r17, -5
  sltiu    r18, r19, 7
  mini     r20, r21, -100
  maxi     r22, r23, 100
  minui    r24, r25, 128
  maxui    r26, r27, 1
  divui    r28, r29, 3
  remui    r30, r31, 1020
loop:
  beq      r1, r2, loop
  bne      r3, r4, main
  blt      r5, r6, end
  bge      r7, r8, loop
  bltu     r9, r10, loop
  bgeu     r11, r12, loop
  jmp      end
  jal      r31, loop
  jr       r31
  lds      r20, scr[r3 + 4], wait=vec
  sts      prm[r4 + 4294967292], r5, rel=vec
  load     wgt[r13 + 64], hbm[r12 + 4194240], r14 + 255, 1048512, ch=31, nch=32, hstride=1048512, sstride=1048512, rel=mx
  store    kv[16777152], hbm[r2], 1, 64, wait=vec
  mcfg     k=4096, g=128, ga=64, r=16, fmt=sym, bits=4, n=2, m=4
  mcfg     k=65535, r=65535, fmt=bf16, bits=16, afp=1
  mv       act[r14], act[r0], act[r16], wgt[r13], 512, bias=prm[r9], rq=scr[r8], ep=gelue, wait=ld, rel=ld
  mm       scr[r1], act[r2], act[r3], wgt[r4], 65535, r5, 262140, 262140, bias=prm[r6], ep=silu
  vadd     act[r3], act[r4], scr[r5], r6 + 1048575
  vsub     act[r3], act[r4], scr[r5], 64, bmode=bcast
  vmul     act[r3], act[r4], wgt[r0], 64, bmode=imm, f=0.125
  vdiv     act[r3], act[r4], act[r5], r6
  vmax     act[r1], act[r1], prm[r2], 4096
  vmin     act[r1], act[r1], wgt[r0], 4096, bmode=imm, f=-inf
  vrelu    act[r1], act[r2], 4096
  vsilu    act[r1], act[r2], r3 + 1
  vgelut   act[r1], act[r2], 11008
  vgelue   act[r1], act[r2], 11008
  vexp     scr[r1], scr[r1], r9
  vcopy    kv[r1], scr[r2], r3 + 128
  vfill    scr[r1], r2 + 16, 0x7fc00001
  vrmsnorm act[r3], act[r4], prm[r5], 4096, r7 + 255, eps=1e-05
  vlnorm   act[r3], act[r4], prm[r5], 4096, 1, beta=prm[r6], eps=1e-05
  vrope    act[r1], act[r1], prm[r2], prm[r3], r4 + 1, r6, hd=128, rot=64, heads=32, style=inter
  vsoftmax scr[r1], scr[r1], r9 + 1, r6, r0, 63, mask=1
  vqk      scr[r3], act[r4], kv[r5], r6, r7 + 255, r6, r0, mask=1, scale=0.088388346
  vpv      act[r3], scr[r4], kv[r5], r6, r7, r6, r8, acc=1
  vaset    hd=128, kvh=8, kvg=32, kvbits=4, sink=4, window=1020, causal=1
  vaset    hd=64, kvh=255, kvfmt=f32, qpk=255
  vkvq     kv[r1], act[r2], r3 + 1
  vqact    act[r1], act[r2], act[r3], 4096, r5, ga=128, bits=8, fake=1
  vquant   scr[r1], act[r2], scr[r3], scr[r4], 1048575, r5 + 255, g=1048575, bits=2, sym=1, f16=1
  vdequant act[r1], scr[r2], scr[r3], scr[r4], 64, 1, bits=8
  vargmax  scr[r1], act[r2], r3 + 32000
  maset    hd=128, kvh=8, kvg=32, kvbits=4, recu=40, qpk=4
  mqk      scr[r3], scr[r4], scr[r5], kv[r6], r7, r8, r9 + 127, r10 + 255, 63, pitch=r31, scale=0.088388346
  mpv      act[r3], scr[r4], scr[r5], kv[r6], r7, r0, r7, 3, 1, part=last
  maset    hd=64, kvh=2, kvfmt=sym, kvbits=8
  vpq      scr[r1], scr[r2], scr[r3], kv[r4], r5, r6, r5 + 1, r7, 32, pitch=r12, part=quant
  vrset    scr[r1], prm[r31], rot=4094, style=inter
  vqk      scr[r3], act[r4], kv[r5], r6, r7, r8, r9, rope=1, scale=0.125
end:
  halt
.entry tail
