// accel-lower-to-isa on forward functions (accel.entry = "forward": graphs
// without attention, as accelc compiles them without --decode): the
// `forward` entry runs the step over the r5 input rows a prefill tile at a
// time, loading each input's rows from the io region and storing each
// output's (docs/ISA.md §7).
// RUN: accel-opt %s -split-input-file --pass-pipeline='builtin.module(accel-pack,accel-fuse,accel-tile{prefill-tile=16},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa,accel-insert-tokens)' | FileCheck %s

// An RMSNorm + linear + GELU + linear block with a residual over [2, 3, 64]:
// 6 rows of 64 features. The input has a home of 16 rows (accel.act on the
// argument).
// CHECK-LABEL: func.func @block
// CHECK-SAME: accel.act = {forward = #accel.homes<rows = 16, result = 0>}
// CHECK: accelisa.program @model
// CHECK-SAME: accel.io = {inputs = [{bytes = 1536 : i64, channel = 0 : i64, dtype = "f32", name = "x", offset = 0 : i64, row_bytes = 256 : i64, shape = array<i64: 2, 3, 64>}], max_rows = 6 : i64, outputs = [{bytes = 1536 : i64, channel = 0 : i64, dtype = "f32", name = "y", offset = 1536 : i64, row_bytes = 256 : i64, shape = array<i64: 2, 3, 64>}]}
// CHECK-NEXT: accelisa.entry @forward
// CHECK-NEXT: accelisa.addi r10, r0, 0
// CHECK-NEXT: accelisa.label @next_rows
// CHECK-NEXT: accelisa.bgeu r10, r5, @rows_done
// CHECK-NEXT: accelisa.sub r11, r5, r10
// CHECK-NEXT: accelisa.minui r11, r11, 16
// CHECK-NEXT: accelisa.jal r8, @forward_step
// CHECK-NEXT: accelisa.add r10, r10, r11
// CHECK-NEXT: accelisa.jmp @next_rows
// CHECK-NEXT: accelisa.label @rows_done
// CHECK-NEXT: accelisa.halt
// The tile's rows of x: r11 rows of 256 bytes from io + r10 · 256.
// CHECK-NEXT: accelisa.label @forward_step
// CHECK-NEXT: accelisa.muli [[IN:r[0-9]+]], r10, 256
// CHECK-NEXT: accelisa.add [[IN]], [[IN]], r4
// CHECK-NEXT: accelisa.addi [[IN]], [[IN]], 0
// CHECK-NEXT: accelisa.load act[0], hbm[[[IN]]], r11, 256, hstride=256, sstride=256
// CHECK: accelisa.vrmsnorm act[{{r[0-9]+}}], act[r0], prm[r0], 64, r11
// CHECK: accelisa.mm {{.*}}, 128, r11, 256, 512, ep=gelue
// CHECK: accelisa.mm {{.*}}, 64, r11, 512, 256
// CHECK: accelisa.vadd
// The tile's rows of y to io + 1536 + r10 · 256.
// CHECK-NEXT: accelisa.muli [[OUT:r[0-9]+]], r10, 256
// CHECK-NEXT: accelisa.add [[OUT]], [[OUT]], r4
// CHECK-NEXT: accelisa.addi [[OUT]], [[OUT]], 1536
// CHECK-NEXT: accelisa.addi [[FROM:r[0-9]+]], r0, 8192
// CHECK-NEXT: accelisa.store act[[[FROM]]], hbm[[[OUT]]], r11, 256, hstride=256, sstride=256
// CHECK-NEXT: accelisa.barrier
// CHECK-NEXT: accelisa.jr r8
func.func @block(%x: tensor<2x3x64xf32> {onnx.name = "x"}) -> (tensor<2x3x64xf32> {onnx.name = "y"}) attributes {accel.entry = "forward"} {
  %g = arith.constant dense<1.5> : tensor<64xf32>
  %w1 = arith.constant dense<0.25> : tensor<128x64xf32>
  %w2 = arith.constant dense<-0.125> : tensor<64x128xf32>
  %n = accel.rmsnorm %x, %g epsilon(1.0e-5) : tensor<2x3x64xf32>, tensor<64xf32>
  %h = accel.linear %n, %w1 : tensor<2x3x64xf32>, tensor<128x64xf32> -> tensor<2x3x128xf32>
  %a = accel.activation gelu_erf %h : tensor<2x3x128xf32>
  %d = accel.linear %a, %w2 : tensor<2x3x128xf32>, tensor<64x128xf32> -> tensor<2x3x64xf32>
  %y = arith.addf %x, %d : tensor<2x3x64xf32>
  return %y : tensor<2x3x64xf32>
}

// -----

// Rows of 5 features (20 bytes) move in 64-byte units: ⌈r11 · 20 / 64⌉ of
// them from io + r10 · 20, which a tile of 16 rows (320 bytes) keeps
// aligned. Two inputs, packed one after the other in io.
// CHECK-LABEL: func.func @relu
// CHECK: accel.io = {inputs = [{bytes = 256 : i64, channel = 0 : i64, dtype = "f32", name = "x", offset = 0 : i64, row_bytes = 20 : i64, shape = array<i64: 3, 4, 5>}, {bytes = 256 : i64, channel = 0 : i64, dtype = "f32", name = "z", offset = 256 : i64, row_bytes = 20 : i64, shape = array<i64: 3, 4, 5>}], max_rows = 12 : i64, outputs = [{bytes = 256 : i64, channel = 0 : i64, dtype = "f32", name = "y", offset = 512 : i64, row_bytes = 20 : i64, shape = array<i64: 3, 4, 5>}]}
// CHECK: accelisa.label @forward_step
// CHECK-NEXT: accelisa.muli [[IN:r[0-9]+]], r10, 20
// CHECK-NEXT: accelisa.add [[IN]], [[IN]], r4
// CHECK-NEXT: accelisa.addi [[IN]], [[IN]], 0
// CHECK-NEXT: accelisa.muli [[N:r[0-9]+]], r11, 20
// CHECK-NEXT: accelisa.addi [[N]], [[N]], 63
// CHECK-NEXT: accelisa.srli [[N]], [[N]], 6
// CHECK-NEXT: accelisa.load act[0], hbm[[[IN]]], [[N]], 64, hstride=64, sstride=64
// CHECK: accelisa.addi {{r[0-9]+}}, {{r[0-9]+}}, 256
// CHECK: accelisa.vrelu
// CHECK: accelisa.vmul
// CHECK: accelisa.addi {{r[0-9]+}}, {{r[0-9]+}}, 512
// CHECK: accelisa.store act[0], hbm[{{r[0-9]+}}], {{r[0-9]+}}, 64, hstride=64, sstride=64
func.func @relu(%x: tensor<3x4x5xf32> {onnx.name = "x"}, %z: tensor<3x4x5xf32> {onnx.name = "z"}) -> (tensor<3x4x5xf32> {onnx.name = "y"}) attributes {accel.entry = "forward"} {
  %r = accel.activation relu %x : tensor<3x4x5xf32>
  %y = arith.mulf %r, %z : tensor<3x4x5xf32>
  return %y : tensor<3x4x5xf32>
}

// -----

// A constant of one value as an element-wise operand: x · 0.5 is one vmul
// with b the immediate 0.5 over r11 · 16 elements; 2 - x fills the result
// rows with 2.0, then subtracts x from them.
// CHECK-LABEL: func.func @scalar
// CHECK: accelisa.label @forward_step
// CHECK: accelisa.muli [[N:r[0-9]+]], r11, 16
// CHECK-NEXT: accelisa.addi [[D:r[0-9]+]], r0, 1024
// CHECK-NEXT: accelisa.vmul act[[[D]]], act[r0], wgt[r0], [[N]], bmode=imm, f=0.5, wait=ld
// CHECK-NEXT: accelisa.muli [[M:r[0-9]+]], r11, 16
// CHECK-NEXT: accelisa.vfill act[r0], [[M]], 2.0
// CHECK-NEXT: accelisa.addi [[A:r[0-9]+]], r0, 1024
// CHECK-NEXT: accelisa.vsub act[r0], act[r0], act[[[A]]], [[M]], rel=st
func.func @scalar(%x: tensor<4x16xf32> {onnx.name = "x"}) -> (tensor<4x16xf32> {onnx.name = "y"}) attributes {accel.entry = "forward"} {
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %two = arith.constant dense<2.0> : tensor<4x16xf32>
  %a = arith.mulf %x, %half : tensor<4x16xf32>
  %y = arith.subf %two, %a : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A constant row repeated along the rows (a bias, a per-feature scale) is a
// parameter loaded into prm. x + r repeats it over the result's 16 rows of
// the tile (a vcopy from prm, then copies of 1, 2, 4 and 8 rows) and adds
// x over r11 · 16 elements; r - x reads the repeated rows as a, x as b.
// CHECK-LABEL: func.func @row
// CHECK: arith.addf %{{.*}} {accel.act = {forward = #accel.homes<rows = 16, result = 1024>}, accel.prm = {forward = array<i64: 0>}}
// CHECK: accelisa.label @forward_step
// CHECK: accelisa.load prm[0], hbm[{{r[0-9]+}}], 1, 64, sstride=64, rel=vec
// CHECK-NEXT: accelisa.addi [[D:r[0-9]+]], r0, 1024
// CHECK-NEXT: accelisa.vcopy act[[[D]]], prm[r0], 64, wait=ld
// CHECK-NEXT: accelisa.addi [[T:r[0-9]+]], r0, 1088
// CHECK-NEXT: accelisa.addi [[S:r[0-9]+]], r0, 1024
// CHECK-NEXT: accelisa.vcopy act[[[T]]], act[[[S]]], 64
// CHECK: accelisa.vcopy act[{{r[0-9]+}}], act[{{r[0-9]+}}], 128
// CHECK: accelisa.vcopy act[{{r[0-9]+}}], act[{{r[0-9]+}}], 256
// CHECK: accelisa.vcopy act[{{r[0-9]+}}], act[{{r[0-9]+}}], 512
// CHECK-NEXT: accelisa.muli [[N:r[0-9]+]], r11, 16
// CHECK-NEXT: accelisa.addi [[A:r[0-9]+]], r0, 1024
// CHECK-NEXT: accelisa.addi [[B:r[0-9]+]], r0, 1024
// CHECK-NEXT: accelisa.vadd act[[[A]]], act[r0], act[[[B]]], [[N]]
// CHECK: accelisa.load prm[{{r[0-9]+}}], hbm[{{r[0-9]+}}], 1, 64, sstride=64, rel=vec
// CHECK-NEXT: accelisa.addi [[P:r[0-9]+]], r0, 64
// CHECK-NEXT: accelisa.vcopy act[r0], prm[[[P]]], 64, wait=ld
// CHECK-COUNT-4: accelisa.vcopy act[{{r[0-9]+}}], act[r0]
// CHECK-NEXT: accelisa.muli [[M:r[0-9]+]], r11, 16
// CHECK-NEXT: accelisa.addi [[X:r[0-9]+]], r0, 1024
// CHECK-NEXT: accelisa.vsub act[r0], act[r0], act[[[X]]], [[M]], rel=st
func.func @row(%x: tensor<4x16xf32> {onnx.name = "x"}) -> (tensor<4x16xf32> {onnx.name = "y"}) attributes {accel.entry = "forward"} {
  %r = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]> : tensor<16xf32>
  %b = accel.broadcast %r : tensor<16xf32> -> tensor<4x16xf32>
  %a = arith.addf %x, %b : tensor<4x16xf32>
  %y = arith.subf %b, %a : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
