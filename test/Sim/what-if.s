; accel-sim --what-if=KEY=VALUE times a run with a config field that only the
; timing model reads changed (docs/SIMULATOR.md "What-if"). One vrmsnorm of
; 8 rows of H = 4096 (configs/u280.json: A 11, M 8, D 28, S 28, 64 lanes,
; issue 4, reduction_rows R = 8), by the vector unit's row formula:
;   tree  = log2(64) x A = 66
;   chain = M + A + tree + D + A + S + D + 2M = 196
;   sweep = 2 passes x ceil(4096 / 64) = 128
;   interval = max(sweep, ceil((sweep + chain) / R))
;   cycles = issue + 7 x interval + sweep + chain
; R = 8: interval 128, 4 + 896 + 324 = 1224;
; R = 1: interval 324, 4 + 2268 + 324 = 2596;
; R = 2, issue 10: interval 162, 10 + 1134 + 324 = 1468.
; The call adds the addi's dispatch slot, the dispatch and halt: 3 cycles.
; RUN: accel-as %s -o %t.accel --config=%accel_src/configs/u280.json
; RUN: accel-sim %t.accel --entry=main --mode=timing | FileCheck %s --check-prefix=R8
; R8: timing: u280
; R8-NOT: what-if
; R8: main: 1227 cycles
; R8: vec busy 1224 cycles
; RUN: accel-sim %t.accel --entry=main --mode=timing --what-if=vector.reduction_rows=1 | FileCheck %s --check-prefix=R1
; RUN: accel-sim %t.accel --entry=main --mode=both --what-if vector.reduction_rows=1 | FileCheck %s --check-prefix=R1
; R1: what-if: vector.reduction_rows = 1 (config: 8)
; R1: main: 2599 cycles
; R1: vec busy 2596 cycles
; Repeated and comma-separated, in the order given:
; RUN: accel-sim %t.accel --entry=main --mode=timing --what-if=vector.reduction_rows=2,vector.issue_cycles=10 --what-if=hbm.efficiency=0.9 | FileCheck %s --check-prefix=R2
; R2: what-if: vector.reduction_rows = 2 (config: 8), vector.issue_cycles = 10 (config: 4), hbm.efficiency = 0.9 (config: 0.85)
; R2: main: 1471 cycles
; R2: vec busy 1468 cycles
; A package without a config section: the --config file with the what-if.
; RUN: accel-as %s -o %t-nocfg.accel
; RUN: accel-sim %t-nocfg.accel --entry=main --mode=timing --config=%accel_src/configs/u280.json --what-if=vector.reduction_rows=1 | FileCheck %s --check-prefix=R1
; The JSON report lists them (an empty list without any); clock_mhz changes
; the seconds (1471 cycles at 300 MHz), not the cycles.
; RUN: accel-sim %t.accel --entry=main --mode=timing --no-summary --report=- | FileCheck %s --check-prefix=NONE
; NONE: "what_if": []
; RUN: accel-sim %t.accel --entry=main --mode=timing --no-summary --report=- --what-if=vector.reduction_rows=2,vector.issue_cycles=10,clock_mhz=300 | FileCheck %s --check-prefix=JSON
; JSON: "cycles": 1471,
; JSON: "seconds": 4.9033333333333{{[0-9]*}}e-06,
; JSON: "clock_mhz": 300,
; JSON: "what_if": [
; JSON-NEXT: {
; JSON-NEXT: "config_value": 8,
; JSON-NEXT: "key": "vector.reduction_rows",
; JSON-NEXT: "value": 2
; JSON-NEXT: },
; JSON-NEXT: {
; JSON-NEXT: "config_value": 4,
; JSON-NEXT: "key": "vector.issue_cycles",
; JSON-NEXT: "value": 10
; JSON-NEXT: },
; JSON-NEXT: {
; JSON-NEXT: "config_value": 225,
; JSON-NEXT: "key": "clock_mhz",
; JSON-NEXT: "value": 300
; JSON-NEXT: }
; JSON-NEXT: ]
; --help lists the fields (hw::timingOverrideKeys()).
; RUN: accel-sim --help | FileCheck %s --check-prefix=HELP
; HELP: --what-if=<key=value> {{.*}}: clock_mhz, hbm.channel_gbps, {{.*}}, vector.reduction_rows, {{.*}}, energy.static_w{{$}}
;
; Errors, each one line and exit status 1: an unknown key, a key the
; compiled code or the engine's structure depends on, a bad value, a key
; given twice, the functional mode.
; RUN: not accel-sim %t.accel --entry=main --what-if=vector.foo=1 2>&1 | FileCheck %s --check-prefix=UNKNOWN
; UNKNOWN: accel-sim: error: what-if vector.foo=1: vector.foo is not a field of the config{{$}}
; RUN: not accel-sim %t.accel --entry=main --what-if=buffers.wgt.blocks=128 2>&1 | FileCheck %s --check-prefix=CODE -DKEY=buffers.wgt.blocks
; RUN: not accel-sim %t.accel --entry=main --what-if=hbm.channels=16 2>&1 | FileCheck %s --check-prefix=CODE -DKEY=hbm.channels
; RUN: not accel-sim %t.accel --entry=main --what-if=queues.token_capacity=1 2>&1 | FileCheck %s --check-prefix=CODE -DKEY=queues.token_capacity
; RUN: not accel-sim %t-nocfg.accel --entry=main --config=%accel_src/configs/u280.json --what-if=vector.lanes=32,hbm.channels=16 2>&1 | FileCheck %s --check-prefix=CODE -DKEY=hbm.channels
; CODE: accel-sim: error: what-if [[KEY]]={{[0-9]+}}: [[KEY]] is not a timing parameter: the compiled code or the engine's structure depends on it (compile with a config that changes it){{$}}
; RUN: not accel-sim %t.accel --entry=main --what-if=vector.reduction_rows=0 2>&1 | FileCheck %s --check-prefix=RANGE
; RANGE: accel-sim: error: what-if vector.reduction_rows=0: vector.reduction_rows.value: 0 is out of range [1, 64]{{$}}
; RUN: not accel-sim %t.accel --entry=main --what-if=vector.reduction_rows=1.5 2>&1 | FileCheck %s --check-prefix=INT
; INT: accel-sim: error: what-if vector.reduction_rows=1.5: vector.reduction_rows.value: expected an integer{{$}}
; RUN: not accel-sim %t.accel --entry=main --what-if=hbm.efficiency=1.2 2>&1 | FileCheck %s --check-prefix=EFF
; EFF: accel-sim: error: what-if hbm.efficiency=1.2: hbm.efficiency.value: 1.200000 is out of range (0, 1.000000]{{$}}
; RUN: not accel-sim %t.accel --entry=main --what-if=matrix.dsp=9000 2>&1 | FileCheck %s --check-prefix=DSP
; DSP: accel-sim: error: what-if matrix.dsp=9000: matrix.dsp: 9000 + vector.dsp 640 exceed the device's 9024 DSPs{{$}}
; RUN: not accel-sim %t.accel --entry=main --what-if=clock_mhz=fast 2>&1 | FileCheck %s --check-prefix=NAN
; NAN: accel-sim: error: what-if clock_mhz=fast: 'fast' is not a number{{$}}
; RUN: not accel-sim %t.accel --entry=main --what-if=clock_mhz 2>&1 | FileCheck %s --check-prefix=FORM
; FORM: accel-sim: error: what-if 'clock_mhz': expected KEY=VALUE{{$}}
; RUN: not accel-sim %t.accel --entry=main --what-if=vector.lanes=32,vector.lanes=16 2>&1 | FileCheck %s --check-prefix=TWICE
; TWICE: accel-sim: error: what-if vector.lanes=16: vector.lanes is given twice{{$}}
; RUN: not accel-sim %t.accel --entry=main --mode=functional --what-if=vector.reduction_rows=1 2>&1 | FileCheck %s --check-prefix=FUNC
; FUNC: accel-sim: error: --what-if changes only the timing model: it needs --mode=timing or both{{$}}

.entry main
  addi     r10, r0, 4096
  vrmsnorm scr[r0], act[r0], act[r0], r10 + 0, 8, eps=1e-05
  halt
