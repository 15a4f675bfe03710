// RUN: accel-translate --accelisa-to-asm %s -split-input-file -verify-diagnostics

// expected-error @+1 {{expected one accelisa.program in the module, found 0}}
module {
}

// -----

// expected-error @+1 {{expected one accelisa.program in the module, found 2}}
module {
  accelisa.program @a {
  }
  accelisa.program @b {
  }
}

// -----

accelisa.program @p {
  // expected-error @+1 {{'accelisa.jmp' op target @end is the end of the code: no instruction to go to}}
  accelisa.jmp @end
  accelisa.label @end
}

// -----

accelisa.program @p {
  accelisa.halt
  // expected-error @+1 {{'accelisa.label' op names instruction 1, but a label `.L<n>` must name instruction n}}
  accelisa.label @".L0"
  accelisa.jmp @".L0"
}
