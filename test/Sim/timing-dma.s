; The DMA timing of docs/ENGINE.md §6 from configs/u280.json, by hand:
;   bytes per cycle per channel = 14.375e9 B/s / 225e6 Hz = 63.8889,
;   x efficiency 0.85 = 54.30556 (modelled); issue 8, latency 48 cycles.
; stream: 256 rows of 8192 B over 32 channels = 8 rows = 65536 B a channel:
;   8 + 48 + ceil(65536 / 54.30556 = 1206.79) = 8 + 48 + 1207 = 1263 cycles;
;   the call: addi at 0, the load dispatched at 1 runs [2, 1265), halt at
;   1265, ends 1266: 2 MiB in 1266 cycles = 1656.5 B/cycle = 372.7 GB/s,
;   81.0% of the 460 GB/s peak.
; one: the same 2 MiB on channel 0 alone:
;   8 + 48 + ceil(2097152 / 54.30556 = 38617.4) = 38674 cycles (the call
;   38674 + 3 = 38677), and
;   38618 / 1207 = 32.0 times the stream's transfer per byte.
;   The summary's roofline bound is the stream at the modelled bandwidth of
;   all 32 channels: 2097152 / (32 x 54.30556) = 1206.8 cycles.
; shared: a load and a store of 16 x 8192 B on channel 0 at once: the load
;   [1, 2471) = 8 + 48 + ceil(131072 / 54.30556 = 2413.6) = 2470 cycles; the
;   store starts at 2, its transfer waits for the channel until 2423 (2413
;   cycles of contention): 2470 + 2413 = 4883 cycles.
; apart: the same store on channel 1 does not wait: 2470 cycles.
; RUN: accel-as %s -o %t.accel --config=%accel_src/configs/u280.json
; RUN: accel-sim %t.accel --entry=stream --mode=timing | FileCheck %s --check-prefix=STREAM
; RUN: accel-sim %t.accel --entry=stream --mode=both | FileCheck %s --check-prefix=STREAM
; STREAM: stream: 1266 cycles, 5.63 us
; STREAM: ld  busy 1263 cycles (99.8%), 1 instructions
; STREAM: HBM: 2.10 MB read, 0.00 B written, 372.72 GB/s: 81.0% of the peak 460.00 GB/s
; RUN: accel-sim %t.accel --entry=one --mode=timing | FileCheck %s --check-prefix=ONE
; ONE: one: 38677 cycles
; ONE: ld  busy 38674 cycles
; RUN: accel-sim %t.accel --entry=shared --mode=timing --trace=%t.trace | FileCheck %s --check-prefix=SHARED
; SHARED: st  busy 4883 cycles (99.9%), 1 instructions, 2413 cycles of HBM channel contention
; RUN: %python %S/Inputs/slices.py %t.trace | FileCheck %s --check-prefix=SLICES
; SLICES: ld 6 load 1 2470
; SLICES: st 7 store 2 4883
; SLICES: ctl 8 halt 4885 1
; RUN: accel-sim %t.accel --entry=apart --mode=timing | FileCheck %s --check-prefix=APART
; APART: st  busy 2470 cycles
; APART-NOT: contention
; The JSON report says the same.
; RUN: accel-sim %t.accel --entry=stream --mode=timing --no-summary --report=%t.json
; RUN: %python -c "import json; r = json.load(open(r'%t.json')); c = r['calls'][0]; print(c['cycles'], c['units']['ld']['busy_cycles'], c['hbm']['read_bytes'], round(c['hbm']['fraction_of_peak'], 3))" | FileCheck %s --check-prefix=JSON
; JSON: 1266 1263 2097152 0.81

.entry stream
  addi     r20, r0, 256
  load     wgt[0], hbm[r0], r20 + 0, 8192, nch=32, hstride=8192, sstride=8192
  halt
.entry one
  addi     r20, r0, 256
  load     wgt[0], hbm[r0], r20 + 0, 8192, hstride=8192, sstride=8192
  halt
.entry shared
  load     wgt[0], hbm[r0], 16, 8192, hstride=8192, sstride=8192
  store    act[0], hbm[r0 + 0x100000], 16, 8192, hstride=8192, sstride=8192
  halt
.entry apart
  load     wgt[0], hbm[r0], 16, 8192, hstride=8192, sstride=8192
  store    act[0], hbm[r0 + 0x100000], 16, 8192, ch=1, hstride=8192, sstride=8192
  halt
