// accelc's errors when it emits a program.
// RUN: rm -rf %t && mkdir %t
// RUN: not accelc %s --emit=package -o - 2>&1 | FileCheck %s --check-prefix=STDOUT
// RUN: not accelc %s -o %t/m.accel --config=%t/missing.json 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not ls %t/m.accel
// RUN: echo '{}' > %t/bad.json
// RUN: not accelc %s -o %t/m.accel --config=%t/bad.json 2>&1 | FileCheck %s --check-prefix=CONFIG
// RUN: not ls %t/m.accel
// RUN: echo 'module {}' > %t/none.mlir
// RUN: not accelc %t/none.mlir --emit=package --weight-image=%t/w.img -o %t/m.accel 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not ls %t/m.accel

// STDOUT: accelc: error: a package is binary: name the output file with -o
// MISSING: accelc: error: cannot read '{{.*}}missing.json'
// CONFIG: accelc: {{.*}}error: invalid hardware config: {{.*}}bad.json
// NONE: accelc: {{.*}}error: {{.*}}accel-lower-to-isa

accelisa.program @a {
  accelisa.halt
}
