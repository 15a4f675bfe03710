// accelc writes a package from a module that holds a program (here written
// by hand; the lowering is not run again) and compressed linears: the code
// and its names, the weight image accel-pack makes of the linears, the
// hardware config (configs/u280.json unless --config) and the metadata.
// RUN: rm -rf %t && mkdir %t
// RUN: accelc %s -o %t/m.accel --report=%t/report.txt
// RUN: accel-objdump --headers %t/m.accel | FileCheck %s --check-prefix=HDR
// RUN: accel-objdump %t/m.accel | FileCheck %s --check-prefix=ASM
// RUN: accel-objdump --section=metadata %t/m.accel | FileCheck %s --check-prefix=META
// RUN: FileCheck %s --check-prefix=REPORT < %t/report.txt
// The weights section is accel-pack's image, byte for byte.
// RUN: accelc %s --emit=package --weight-image=%t/w.img -o %t/m.pkg
// RUN: cmp %t/m.accel %t/m.pkg
// RUN: accel-opt %s --accel-pack="output=%t/pack.img" -o /dev/null
// RUN: cmp %t/w.img %t/pack.img
// The program comes back with its names.
// RUN: accel-translate --package-to-accelisa %t/m.accel | FileCheck %s --check-prefix=MLIR
// --emit=asm and --emit=isa print the program.
// RUN: accelc %s --emit=asm | FileCheck %s --check-prefix=ASM
// RUN: accelc %s --emit=isa | FileCheck %s --check-prefix=ISA
// RUN: accelc %s --emit=asm --report=- | FileCheck %s --check-prefix=REPORT

// HDR: m.accel: accel package version 3, 5 sections,
// HDR: code {{.*}} 0x00000080
// HDR: metadata
// HDR: symbols
// HDR: config
// HDR: weights {{.*}} 0x00000200

// ASM:      .entry prefill
// ASM-NEXT:   addi     r20, r0, 0
// ASM-NEXT: tile:
// ASM-NEXT:   addi     r20, r20, 128
// ASM-NEXT:   bltu     r20, r5, tile
// ASM-NEXT:   halt
// ASM-NEXT: .entry decode
// ASM-NEXT:   load     wgt[0], hbm[r1 + 192], 1, 256, rel=mx
// ASM-NEXT:   mcfg     k=8, g=4, r=16, bits=2, n=2, m=4
// ASM-NEXT:   mv       act[r0], act[r0], act[r0], wgt[r0], 2, wait=ld
// ASM-NEXT:   halt

// META:      "config": "u280",
// META-NEXT: "entries": {
// META-NEXT:   "decode": 4,
// META-NEXT:   "prefill": 0
// META-NEXT: },
// META-NEXT: "format": "accel-package",
// META-NEXT: "model": {
// META-NEXT:   "sparsity": "2:4",
// META-NEXT:   "weight_quant": {
// META-NEXT:     "bits": 2,
// META-NEXT:     "group": 4,
// META-NEXT:     "symmetric": false
// META-NEXT:   }
// META-NEXT: },
// META-NEXT: "program": "model",
// META-NEXT: "weights": {
// META-NEXT:   "bytes": 512,
// META-NEXT:   "crc32": 957876260,
// META-NEXT:   "linears": 2,
// META-NEXT:   "version": 1
// META-NEXT: }

// REPORT: total: 20 weight params in 21 bytes
// REPORT: entry    instructions  code bytes
// REPORT-NEXT: prefill             4          64
// REPORT-NEXT: decode              4          64
// REPORT-NEXT: total: 8 instructions, 128 bytes of code

// MLIR: accelisa.program @model {
// MLIR-NEXT: accelisa.entry @prefill
// MLIR-NEXT: accelisa.addi r20, r0, 0
// MLIR-NEXT: accelisa.label @tile

// ISA: module attributes {accel.weight_image = {bytes = 512 : i64, crc32 = 957876260 : i64
// ISA: accelisa.program @model {
// ISA: accelisa.bltu r20, r5, @tile

func.func @example(%x: tensor<3x8xf32>, %h: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x1xf32>) {
  %q = arith.constant dense<[[-2, -2, -1, 0, -1, -2, 0, 0], [-1, 0, -2, -2, 0, 0, 0, -1]]> : tensor<2x8xi2>
  %s = arith.constant dense<[[2.333980e+00, 1.666260e-01], [6.665040e-01, 2.666020e-01]]> : tensor<2x2xf16>
  %z = arith.constant dense<[[-2, 0], [-2, 0]]> : tensor<2x2xi2>
  %y = accel.linear %x, %q scales(%s : tensor<2x2xf16>) zero_points(%z : tensor<2x2xi2>) {sparsity = #accel.sparsity<2:4>, weight_quant = #accel.quant<bits = 2, group = 4, asymmetric>} : tensor<3x8xf32>, tensor<2x8xi2> -> tensor<3x2xf32>
  %w = arith.constant dense<[[1.0, -2.0, 0.0, 0.5]]> : tensor<1x4xf16>
  %l = accel.linear %h, %w : tensor<3x4xf32>, tensor<1x4xf16> -> tensor<3x1xf32>
  return %y, %l : tensor<3x2xf32>, tensor<3x1xf32>
}

accelisa.program @model {
  accelisa.entry @prefill
  accelisa.addi r20, r0, 0
  accelisa.label @tile
  accelisa.addi r20, r20, 128
  accelisa.bltu r20, r5, @tile
  accelisa.halt
  accelisa.entry @decode
  accelisa.load wgt[0], hbm[r1 + 192], 1, 256, rel=mx
  accelisa.mcfg k=8, g=4, r=16, bits=2, n=2, m=4
  accelisa.mv act[r0], act[r0], act[r0], wgt[r0], 2, wait=ld
  accelisa.halt
}
