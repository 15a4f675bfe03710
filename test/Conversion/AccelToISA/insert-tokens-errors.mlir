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

// -----

// A call inside a subroutine: its accesses would not be among the outer
// subroutine's, nor the outer caller's outstanding work among the inner
// subroutine's entry accesses.
accelisa.program @nested_call {
  accelisa.entry @run
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.jal r8, @outer
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.store act[0], hbm[r2], 1, 64
  accelisa.halt
  accelisa.label @outer
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  // expected-error @+1 {{accel-insert-tokens: this call is inside subroutine @outer, before its `jr` (calls do not nest)}}
  accelisa.jal r9, @inner
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
  accelisa.label @inner
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r9
}

// -----

accelisa.program @no_return {
  accelisa.entry @run
  // expected-error @+1 {{accel-insert-tokens: no `jr` ends the called subroutine @sub}}
  accelisa.jal r8, @sub
  accelisa.halt
  accelisa.label @sub
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.halt
}

// -----

// The entry would discard what the code before it left outstanding.
accelisa.program @falls_into_subroutine {
  accelisa.entry @run
  accelisa.jal r8, @sub
  accelisa.halt
  accelisa.entry @other
  // expected-error @+1 {{accel-insert-tokens: control falls through from this instruction into subroutine @sub (only calls may enter it)}}
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.label @sub
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.barrier
  accelisa.jr r8
}

// -----

accelisa.program @entry_inside_subroutine {
  accelisa.entry @run
  accelisa.jal r8, @sub
  accelisa.halt
  accelisa.label @sub
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  // expected-error @+1 {{accel-insert-tokens: this entry point is inside subroutine @sub (only calls may enter it)}}
  accelisa.entry @other
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.barrier
  accelisa.jr r8
}

// -----

// A second return: the exit slots before the first would be skipped.
accelisa.program @two_returns {
  accelisa.entry @run
  accelisa.jal r8, @sub
  accelisa.halt
  accelisa.label @sub
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  // expected-error @+1 {{accel-insert-tokens: this branch leaves subroutine @sub other than by its `jr`}}
  accelisa.beq r5, r0, @early
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.barrier
  accelisa.jr r8
  accelisa.label @early
  accelisa.jr r8
}

// -----

accelisa.program @back_to_entry {
  accelisa.entry @run
  accelisa.jal r8, @sub
  accelisa.halt
  accelisa.label @sub
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  // expected-error @+1 {{accel-insert-tokens: this branch goes back to the start of subroutine @sub (only calls may enter it)}}
  accelisa.bne r5, r0, @sub
  accelisa.jr r8
}

// -----

accelisa.program @branch_into_subroutine {
  accelisa.entry @run
  accelisa.jal r8, @sub
  // expected-error @+1 {{accel-insert-tokens: this branch goes into subroutine @sub (only calls may enter it)}}
  accelisa.jmp @inside
  accelisa.label @sub
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.label @inside
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.barrier
  accelisa.jr r8
}

// -----

accelisa.program @subroutine_in_subroutine {
  accelisa.entry @run
  accelisa.jal r8, @a
  accelisa.jal r8, @b
  accelisa.halt
  accelisa.label @a
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.halt
  accelisa.label @b
  // expected-error @+1 {{accel-insert-tokens: this instruction starts a subroutine inside subroutine @a}}
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
}

// -----

// A return that ends no subroutine is a jump like any other.
accelisa.program @jump_by_register {
  accelisa.entry @run
  accelisa.load act[0], hbm[r1], 1, 64
  // expected-error @+1 {{accel-insert-tokens orders straight-line code: a jump or branch with accesses since the last barrier (put a barrier before it)}}
  accelisa.jr r9
}

// -----

// A call after its subroutine with work outstanding: the subroutine was
// analysed before the call's outstanding accesses were known.
accelisa.program @call_after_subroutine {
  accelisa.entry @run
  accelisa.jal r8, @sub
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.halt
  accelisa.label @sub
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
  accelisa.entry @late
  accelisa.load act[0], hbm[r1], 1, 64
  // expected-error @+1 {{accel-insert-tokens: a call with accesses since the last barrier must come before its subroutine in the program}}
  accelisa.jal r8, @sub
  accelisa.halt
}

// -----

accelisa.program @no_exit_slot {
  accelisa.entry @run
  accelisa.jal r8, @sub
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.halt
  accelisa.label @sub
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.vadd act[r0], act[r0], act[r0], 16
  // expected-error @+1 {{accel-insert-tokens: the code after a call of this subroutine waits for its unit vec, and it ends with no instruction of that unit that accesses nothing before its return (end it with one, or put a barrier before the return)}}
  accelisa.jr r8
}

// -----

// An entry-slot token is given once a call; a loop would take it each pass.
accelisa.program @entry_wait_in_loop {
  accelisa.entry @run
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.jal r8, @sub
  accelisa.halt
  accelisa.label @sub
  accelisa.load wgt[0], hbm[r0], 0, 64
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.label @again
  // expected-error @+1 {{accel-insert-tokens: this instruction in a loop takes on every pass a token instruction 3 gives once, before the loop (put a barrier before the loop)}}
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.barrier
  accelisa.bne r5, r0, @again
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
}

// -----

// Skipping a wait for an entry slot would leave its token to the next call.
accelisa.program @skips_an_entry_wait {
  accelisa.entry @run
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.jal r8, @sub
  accelisa.halt
  accelisa.label @sub
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  // expected-error @+1 {{accel-insert-tokens: this branch skips instruction 5, which takes or gives a dependency token}}
  accelisa.beq r5, r0, @done
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.label @done
  accelisa.barrier
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
}

// -----

// The load waits for the exit slot of a call the branch may skip.
accelisa.program @skips_a_call {
  accelisa.entry @run
  // expected-error @+1 {{accel-insert-tokens: this branch skips instruction 1, which takes or gives a dependency token}}
  accelisa.beq r5, r0, @after
  accelisa.jal r8, @sub
  accelisa.label @after
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.halt
  accelisa.label @sub
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.jr r8
}

// -----

// A branch inside a subroutine to its `jr` skips the exit slots the code
// after the call waits for.
accelisa.program @branch_to_return {
  accelisa.entry @run
  accelisa.jal r8, @sub
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.halt
  accelisa.label @sub
  accelisa.barrier
  // expected-error @+1 {{accel-insert-tokens: this branch skips instruction 6, which takes or gives a dependency token}}
  accelisa.beq r5, r0, @ret
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.label @ret
  accelisa.jr r8
}

// -----

// Likewise a branch into the middle of its exit slots.
accelisa.program @branch_among_exit_slots {
  accelisa.entry @run
  accelisa.jal r8, @sub
  accelisa.load act[0], hbm[r1], 1, 64
  accelisa.halt
  accelisa.label @sub
  accelisa.barrier
  // expected-error @+1 {{accel-insert-tokens: this branch skips instruction 6, which takes or gives a dependency token}}
  accelisa.beq r5, r0, @last
  accelisa.vadd act[r0], act[r0], act[r0], 16
  accelisa.vaset hd=16, kvh=1, kvfmt=f32
  accelisa.label @last
  accelisa.maset hd=16, kvh=1, kvfmt=sym, kvbits=8
  accelisa.jr r8
}
