// accel-lower-to-isa, a constant row in a prefill tile of 12 rows (not a
// power of two): repeatRow copies the row from prm, then doubles the
// repeated rows (copies of 1, 2 and 4 rows) and copies only the 4 rows
// left (not 8) to fill the tile. The row is a dense_resource blob (the
// importer's form of a row of more than 1024 features), placed and loaded
// as a dense row is.
// RUN: accel-opt %s --pass-pipeline='builtin.module(accel-pack,accel-fuse,accel-tile{prefill-tile=12},accel-place-hbm,accel-allocate-buffers,accel-lower-to-isa,accel-insert-tokens)' | FileCheck %s

// CHECK-LABEL: func.func @row
// CHECK: arith.addf %{{.*}} {accel.act = {forward = #accel.homes<rows = 12, result = 768>}, accel.prm = {forward = array<i64: 0>}}
// CHECK: accelisa.label @forward_step
// CHECK: accelisa.load prm[0], hbm[{{r[0-9]+}}], 1, 64, sstride=64, rel=vec
// CHECK-NEXT: accelisa.addi [[D:r[0-9]+]], r0, 768
// CHECK-NEXT: accelisa.vcopy act[[[D]]], prm[r0], 64, wait=ld
// CHECK-NEXT: accelisa.addi [[T:r[0-9]+]], r0, 832
// CHECK-NEXT: accelisa.addi [[S:r[0-9]+]], r0, 768
// CHECK-NEXT: accelisa.vcopy act[[[T]]], act[[[S]]], 64
// CHECK: accelisa.vcopy act[{{r[0-9]+}}], act[{{r[0-9]+}}], 128
// CHECK: accelisa.vcopy act[{{r[0-9]+}}], act[{{r[0-9]+}}], 256
// CHECK-NEXT: accelisa.addi [[L:r[0-9]+]], r0, 1280
// CHECK-NEXT: accelisa.addi [[F:r[0-9]+]], r0, 768
// CHECK-NEXT: accelisa.vcopy act[[[L]]], act[[[F]]], 256
// CHECK-NEXT: accelisa.muli [[N:r[0-9]+]], r11, 16
// CHECK-NEXT: accelisa.addi [[A:r[0-9]+]], r0, 768
// CHECK-NEXT: accelisa.addi [[B:r[0-9]+]], r0, 768
// CHECK-NEXT: accelisa.vadd act[[[A]]], act[r0], act[[[B]]], [[N]]
func.func @row(%x: tensor<4x16xf32> {onnx.name = "x"}) -> (tensor<4x16xf32> {onnx.name = "y"}) attributes {accel.entry = "forward"} {
  %r = arith.constant dense_resource<r> : tensor<16xf32>
  %b = accel.broadcast %r : tensor<16xf32> -> tensor<4x16xf32>
  %y = arith.addf %x, %b : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

{-#
  dialect_resources: {
    builtin: {
      r: "0x040000000000803E0000003F0000403F0000803F0000A03F0000C03F0000E03F000000400000104000002040000030400000404000005040000060400000704000008040"
    }
  }
#-}
