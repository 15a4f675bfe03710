// Every error of the compression attributes' parsers and verifiers.
// RUN: accel-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{quantization bits must be 2, 3, 4 or 8, got 5}}
func.func @bits() attributes {q = #accel.quant<bits = 5, group = 32, asymmetric>} { return }

// -----

// expected-error @+1 {{quantization group size must be positive (write 'per_channel' for one scale per row)}}
func.func @group_zero() attributes {q = #accel.quant<bits = 2, group = 0, asymmetric>} { return }

// -----

// expected-error @+1 {{expected 'symmetric' or 'asymmetric', got 'signed'}}
func.func @scheme() attributes {q = #accel.quant<bits = 2, group = 32, signed>} { return }

// -----

// expected-error @+1 {{expected 'group' or 'per_channel'}}
func.func @granularity() attributes {q = #accel.quant<bits = 2, per_token, symmetric>} { return }

// -----

// expected-error @+1 {{N:M sparsity needs M in {4, 8, 16}, got 3}}
func.func @sparsity_m() attributes {s = #accel.sparsity<2:3>} { return }

// -----

// expected-error @+1 {{N:M sparsity needs N >= 1, got 0}}
func.func @sparsity_n_zero() attributes {s = #accel.sparsity<0:4>} { return }

// -----

// expected-error @+1 {{N:M sparsity needs N <= M, got 5:4}}
func.func @sparsity_n_gt_m() attributes {s = #accel.sparsity<5:4>} { return }

// -----

// expected-error @+1 {{Λ attention needs sink >= 0, got -1}}
func.func @lambda_sink() attributes {l = #accel.lambda<sink = -1, window = 16>} { return }

// -----

// expected-error @+1 {{Λ attention needs window >= 1, got 0}}
func.func @lambda_window() attributes {l = #accel.lambda<sink = 4, window = 0>} { return }
