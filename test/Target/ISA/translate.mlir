// RUN: accel-translate --accelisa-to-asm %s | FileCheck %s
// RUN: accel-translate --accelisa-to-asm %s | accel-translate --asm-to-accelisa | accel-translate --accelisa-to-asm | FileCheck %s

// Labels and entries become symbols at the index of the next instruction
// (several may share one; one may follow the last instruction); a `.L<n>`
// label at instruction n is left for the printer to regenerate; a target
// is printed as the first name of its instruction.

// CHECK:      .entry prefill
// CHECK-NEXT: start:
// CHECK-NEXT:   addi     r20, r0, 0
// CHECK-NEXT: .L1:
// CHECK-NEXT:   addi     r20, r20, 128
// CHECK-NEXT:   bltu     r20, r5, .L1
// CHECK-NEXT:   beq      r0, r0, prefill
// CHECK-NEXT:   halt
// CHECK-NEXT: .entry decode
// CHECK-NEXT:   jal      r31, prefill
// CHECK-NEXT:   halt
// CHECK-NEXT: end:
// CHECK-NOT:  {{.}}
accelisa.program @p {
  accelisa.entry @prefill
  accelisa.label @start
  accelisa.addi r20, r0, 0
  accelisa.label @".L1"
  accelisa.addi r20, r20, 128
  accelisa.bltu r20, r5, @".L1"
  accelisa.beq r0, r0, @start
  accelisa.halt
  accelisa.entry @decode
  accelisa.jal r31, @start
  accelisa.halt
  accelisa.label @end
}
