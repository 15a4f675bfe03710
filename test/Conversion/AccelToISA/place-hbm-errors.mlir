// The #accel.hbm attribute's verifier, and what accel-lower-to-isa says of a
// placement that does not fit the config's channels.
// RUN: accel-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{HBM placement: channel 32 is not in 0..31}}
func.func @channel() attributes {p = #accel.hbm<channel = 32, offset = 0, channels = 1, stride = 0>} {
  return
}

// -----

// expected-error @+1 {{HBM placement: channels = 12 is not a power of two in 1..32}}
func.func @channels() attributes {p = #accel.hbm<channel = 0, offset = 0, channels = 12, stride = 64>} {
  return
}

// -----

// expected-error @+1 {{HBM placement: offset 100 is not a non-negative multiple of 64}}
func.func @offset() attributes {p = #accel.hbm<channel = 0, offset = 100, channels = 1, stride = 0>} {
  return
}

// -----

// expected-error @+1 {{HBM placement: stride -64 is not a non-negative multiple of 64}}
func.func @stride() attributes {p = #accel.hbm<channel = 0, offset = 0, channels = 2, stride = -64>} {
  return
}
