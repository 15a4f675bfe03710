; The host side (ISA §7, FORMATS §5.2): io slots and HBM regions from the
; metadata, r1..r7 per call, the KV region kept between calls, and the
; --prompt-ids/--max-new-tokens loop (prefill, then decode per token,
; greedy). The toy model's next token is (last input + first prompt token)
; mod 8, the first prompt token kept in the kv region by prefill.
; RUN: rm -rf %t && mkdir %t
; RUN: %python -c "import json; json.dump({'hbm': {'weights': 0, 'kv': 64, 'act': 0, 'io': 192}, 'io': {'tokens': {'offset': 0, 'bytes': 64, 'channel': 0}, 'logits': {'offset': 64, 'bytes': 32, 'channel': 0}, 'token': {'offset': 128, 'bytes': 4, 'channel': 0}}}, open(r'%t/meta.json', 'w'))"
; RUN: accel-as %s -o %t/toy.accel --config=%accel_src/configs/u280.json --metadata=%t/meta.json
; RUN: accel-sim %t/toy.accel --prompt-ids=1,2,3 --max-new-tokens=5 | FileCheck %s --check-prefix=GEN
; GEN: tokens: 4 5 6 7 0
; RUN: accel-sim %t/toy.accel --prompt-ids=3,2 --max-new-tokens=1 | FileCheck %s --check-prefix=ONE
; ONE: tokens: 5

; One call, its registers, the logits in the io region (io base 64).
; RUN: accel-sim %t/toy.accel --entry=prefill --prompt-ids=1,2,3 --dump-regs --dump=hbm0:128:32:f32 | FileCheck %s --check-prefix=CALL
; CALL: token: 4
; CALL: r1  = 0x00000000 (0)
; CALL: r2  = 0x00000000 (0)
; CALL: r3  = 0x00000040 (64)
; CALL: r4  = 0x00000040 (64)
; CALL: r5  = 0x00000003 (3)
; CALL: r6  = 0x00000000 (0)
; CALL: r7  = 0x00000001 (1)
; CALL: hbm0+0x80: 0
; CALL: hbm0+0x90: 1
; CALL: hbm0+0x9c: 0

; The trace: one line per executed instruction, its unit and index.
; RUN: accel-sim %t/toy.accel --entry=prefill --prompt-ids=1 --trace-insns | FileCheck %s --check-prefix=TRACE
; TRACE: ld        0  load     scr[0], hbm[r4], 1, 64, rel=ctl
; TRACE: ctl       1  lds      r10, scr[0], wait=ld
; TRACE: ctl       5  jmp      next
; TRACE: vec      21  vargmax  scr[r21], scr[r20], 8, wait=ctl, rel=st
; TRACE: ctl      24  halt

; RUN: not accel-sim %t/toy.accel --prompt-ids=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17 --max-new-tokens=1 2>&1 | FileCheck %s --check-prefix=LONG
; LONG: accel-sim: error: prefill: 17 token ids do not fit io.tokens (64 bytes)
; RUN: not accel-sim %t/toy.accel 2>&1 | FileCheck %s --check-prefix=NOTHING
; NOTHING: accel-sim: error: give --entry=NAME, or --prompt-ids to generate

.entry prefill
  load     scr[0], hbm[r4], 1, 64, rel=ctl
  lds      r10, scr[r0], wait=ld           ; the first prompt token
  sts      act[r0], r10, rel=st
  store    act[0], hbm[r2], 1, 64, wait=ctl, rel=ctl
  nop      wait=st
  jmp      next
.entry decode
  load     scr[0], hbm[r4], 1, 64, rel=ctl
  nop      wait=ld
  load     act[0], hbm[r2], 1, 64, rel=ctl
  lds      r10, act[r0], wait=ld           ; kept in the kv region
next:
  addi     r11, r5, -1
  slli     r11, r11, 2
  lds      r12, scr[r11]                   ; the last input token
  add      r13, r12, r10
  andi     r13, r13, 7
  slli     r14, r13, 2
  addi     r20, r0, 256
  vfill    scr[r20], 8, 0, rel=ctl
  addi     r15, r0, 0x3f800000
  sts      scr[r14 + 256], r15, wait=vec, rel=vec
  addi     r21, r0, 320
  vargmax  scr[r21], scr[r20], 8, wait=ctl, rel=st
  store    scr[256], hbm[r4 + 64], 1, 64, wait=vec
  store    scr[320], hbm[r4 + 128], 1, 64
  halt
