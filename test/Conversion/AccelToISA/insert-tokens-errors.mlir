// Every error of accel-insert-tokens.
// RUN: accel-opt %s -split-input-file -verify-diagnostics --accel-insert-tokens

// expected-error @+1 {{accel-insert-tokens: the program does not end with a barrier or halt after its last access}}
accelisa.program @no_end {
  accelisa.entry @run
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.vadd act[r0], act[r0], act[r0], 16
}

// -----

accelisa.program @branch_with_accesses {
  accelisa.entry @run
  accelisa.label @again
  accelisa.load act[0], hbm[r1], 1, 64
  // expected-error @+1 {{accel-insert-tokens orders straight-line code: a jump or branch with accesses since the last barrier (put a barrier before it)}}
  accelisa.bne r5, r0, @again
  accelisa.halt
}

// -----

accelisa.program @skips_a_token {
  accelisa.entry @run
  // expected-error @+1 {{accel-insert-tokens: this branch skips instruction 1, which takes or gives a dependency token}}
  accelisa.beq r5, r0, @done
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.label @done
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.halt
}

// -----

accelisa.program @no_entry_slot {
  accelisa.entry @run
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.jal r8, @sub
  accelisa.halt
  accelisa.label @sub
  // expected-error @+1 {{accel-insert-tokens: this instruction follows accesses of unit ld outstanding at a call of its subroutine, which begins with no instruction of that unit that accesses nothing (put a barrier before the call)}}
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.barrier
  accelisa.jr r8
}

// -----

accelisa.program @no_return_slot {
  accelisa.entry @run
  // expected-error @+1 {{accel-insert-tokens: the code after this call waits for the subroutine's unit vec, but no instruction of st that accesses nothing follows the call}}
  accelisa.jal r8, @sub
  accelisa.halt
  accelisa.entry @other
  accelisa.jal r8, @sub
  accelisa.store act[0], hbm[r1], 1, 64
  accelisa.halt
  accelisa.label @sub
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
}
