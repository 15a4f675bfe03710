// accel-lambda-attention on a one-layer decoder: T = 8, heads (2, 1),
// head dim 4, RoPE tables cos/sin(t * theta) traced for 8 positions.
// RUN: accel-opt %s -split-input-file --accel-lambda-attention="tile=3 max-context=16" | FileCheck %s
// RUN: accel-opt %s -split-input-file --accel-lambda-attention="tile=3 rope-positions=cache" | FileCheck %s --check-prefix=CACHE
// RUN: accel-opt %s -split-input-file --accel-lambda-attention="tile=16 decode=false sink=2 window=5" | FileCheck %s --check-prefix=NODECODE

// The prefill: full tiles of 3 queries in a loop, each over a key band of
// min(8, 3 + 3 - 1) = 5 rows from clamp(t0 - 2, 0, 3), plus the sink row;
// then the tail tile of 2 queries at 6. The caches its prompt leaves: S + W
// = 4 slots, written from position 0.
// CHECK-LABEL: func.func @main_graph(
// CHECK-SAME: -> (tensor<1x8x16xf32> {onnx.name = "logits"}, tensor<1x4x4xf32> {onnx.name = "key_cache.0"}, tensor<1x4x4xf32> {onnx.name = "value_cache.0"})
// CHECK-SAME: attributes {accel.entry = "prefill"}
// CHECK: %[[QR:.*]] = accel.rope rotate_half %{{.*}}, %{{.*}}, %{{.*}} heads(2)
// CHECK: %[[KR:.*]] = accel.rope rotate_half %{{.*}}, %{{.*}}, %{{.*}} heads(1)
// CHECK: %[[SK:.*]] = tensor.extract_slice %[[KR]][0, 0, 0] [1, 1, 4] [1, 1, 1]
// CHECK: %[[SV:.*]] = tensor.extract_slice %[[V:.*]][0, 0, 0] [1, 1, 4] [1, 1, 1]
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<1x8x8xf32>
// CHECK: %[[LOOP:.*]] = scf.for %[[T0:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[EMPTY]])
// CHECK: %[[WS:.*]] = arith.subi %[[T0]], %{{.*}} : index
// CHECK: %[[LO:.*]] = arith.maxsi %[[WS]], %{{.*}} : index
// CHECK: %[[K0:.*]] = arith.minsi %[[LO]], %{{.*}} : index
// CHECK: %[[QT:.*]] = tensor.extract_slice %[[QR]][0, %[[T0]], 0] [1, 3, 8] [1, 1, 1]
// CHECK: %[[KB:.*]] = tensor.extract_slice %[[KR]][0, %[[K0]], 0] [1, 5, 4] [1, 1, 1]
// CHECK: %[[VB:.*]] = tensor.extract_slice %[[V]][0, %[[K0]], 0] [1, 5, 4] [1, 1, 1]
// CHECK: %[[O:.*]] = accel.band_attention %[[QT]] at %[[T0]], %[[KB]], %[[VB]] at %[[K0]] sinks(%[[SK]], %[[SV]] : tensor<1x1x4xf32>, tensor<1x1x4xf32>) heads(2, 1) {lambda = #accel.lambda<sink = 1, window = 3>} : tensor<1x3x8xf32>, tensor<1x5x4xf32>, tensor<1x5x4xf32> -> tensor<1x3x8xf32>
// CHECK: %[[INS:.*]] = tensor.insert_slice %[[O]] into %[[ACC]][0, %[[T0]], 0] [1, 3, 8] [1, 1, 1]
// CHECK: scf.yield %[[INS]]
// CHECK: accel.band_attention %{{.*}} at %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} sinks({{.*}}) heads(2, 1) {{.*}} : tensor<1x2x8xf32>, tensor<1x5x4xf32>, tensor<1x5x4xf32> -> tensor<1x2x8xf32>
// CHECK: tensor.insert_slice %{{.*}} into %[[LOOP]][0, %{{.*}}, 0] [1, 2, 8] [1, 1, 1]
// CHECK-NOT: accel.attention
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<1x4x4xf32>
// CHECK: %[[KC:.*]] = accel.kv_cache_write %[[ZERO]], %[[KR]] at %{{.*}} {lambda = #accel.lambda<sink = 1, window = 3>} : tensor<1x4x4xf32>, tensor<1x8x4xf32>
// CHECK: %[[VC:.*]] = accel.kv_cache_write %[[ZERO]], %[[V]] at %{{.*}} {lambda = #accel.lambda<sink = 1, window = 3>} : tensor<1x4x4xf32>, tensor<1x8x4xf32>
// CHECK: return %{{.*}}, %[[KC]], %[[VC]]

// The decode step: one token at `position`, RoPE rows of the table extended
// to max-context = 16 positions (the step's position bound), the token's
// key and value written to the ring, attention over the cache.
// CHECK-LABEL: func.func @main_graph_decode(
// CHECK-SAME: %[[IDS:.*]]: tensor<1x1xi64> {onnx.name = "input_ids"}, %[[POS:.*]]: tensor<i64> {onnx.name = "position"}, %[[KIN:.*]]: tensor<1x4x4xf32> {onnx.name = "key_cache.0"}, %[[VIN:.*]]: tensor<1x4x4xf32> {onnx.name = "value_cache.0"})
// CHECK-SAME: -> (tensor<1x1x16xf32> {onnx.name = "logits"}, tensor<1x4x4xf32> {onnx.name = "key_cache.0"}, tensor<1x4x4xf32> {onnx.name = "value_cache.0"})
// CHECK-SAME: attributes {accel.entry = "decode", accel.max_positions = 16 : i64}
// CHECK-DAG: %[[COS:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, {{.*}}> : tensor<16x4xf32>
// CHECK-DAG: %[[SIN:.*]] = arith.constant dense<{{\[\[}}0.000000e+00, {{.*}}> : tensor<16x4xf32>
// CHECK: %[[P64:.*]] = tensor.extract %[[POS]][] : tensor<i64>
// CHECK: %[[P:.*]] = arith.index_cast %[[P64]] : i64 to index
// CHECK-DAG: %[[CROW:.*]] = tensor.extract_slice %[[COS]][%[[P]], 0] [1, 4] [1, 1] : tensor<16x4xf32> to tensor<1x4xf32>
// CHECK-DAG: %[[SROW:.*]] = tensor.extract_slice %[[SIN]][%[[P]], 0] [1, 4] [1, 1] : tensor<16x4xf32> to tensor<1x4xf32>
// CHECK: accel.embedding %[[IDS]], %{{.*}} : tensor<1x1xi64>, tensor<16x8xf32> -> tensor<1x1x8xf32>
// CHECK: %[[Q1:.*]] = accel.rope rotate_half %{{.*}}, %[[CROW]], %[[SROW]] heads(2) : tensor<1x1x8xf32>, tensor<1x4xf32>
// CHECK: %[[K1:.*]] = accel.rope rotate_half %{{.*}}, %[[CROW]], %[[SROW]] heads(1) : tensor<1x1x4xf32>, tensor<1x4xf32>
// CHECK: %[[KC1:.*]] = accel.kv_cache_write %[[KIN]], %[[K1]] at %[[P]] {lambda = #accel.lambda<sink = 1, window = 3>}
// CHECK: %[[VC1:.*]] = accel.kv_cache_write %[[VIN]], %{{.*}} at %[[P]] {lambda = #accel.lambda<sink = 1, window = 3>}
// CHECK: accel.cache_attention %[[Q1]], %[[KC1]], %[[VC1]] at %[[P]] heads(2, 1) {lambda = #accel.lambda<sink = 1, window = 3>} : tensor<1x1x8xf32>, tensor<1x4x4xf32>, tensor<1x4x4xf32> -> tensor<1x1x8xf32>
// CHECK: accel.linear %{{.*}}, %{{.*}} : tensor<1x1x8xf32>, tensor<16x8xf32> -> tensor<1x1x16xf32>
// CHECK: return %{{.*}}, %[[KC1]], %[[VC1]]

// rope-positions=cache: no rope is left; the band and cache ops take the
// pre-RoPE query and key with the traced table (>= S + W rows); the caches
// hold pre-RoPE keys; nothing bounds the position.
// CACHE-LABEL: func.func @main_graph(
// CACHE-NOT: accel.rope
// CACHE: accel.band_attention {{.*}} rope(rotate_half %{{.*}}, %{{.*}} : tensor<8x4xf32>, tensor<8x4xf32>) heads(2, 1)
// CACHE: accel.kv_cache_write %{{.*}}, %[[K:.*]] at
// CACHE-LABEL: func.func @main_graph_decode(
// CACHE-NOT: accel.max_positions
// CACHE-NOT: accel.rope
// CACHE: accel.cache_attention {{.*}} rope(rotate_half %{{.*}}, %{{.*}} : tensor<8x4xf32>, tensor<8x4xf32>) heads(2, 1)

// decode=false with a wider window than the model's: the model's setting
// stays; one tile covers the whole prompt, so neither loop nor sinks.
// NODECODE-LABEL: func.func @main_graph(
// NODECODE-SAME: -> (tensor<1x8x16xf32> {onnx.name = "logits"})
// NODECODE-NOT: scf.for
// NODECODE: accel.band_attention %{{.*}} at %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} heads(2, 1) {lambda = #accel.lambda<sink = 1, window = 3>} : tensor<1x8x8xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x8xf32>
// NODECODE-NOT: main_graph_decode
func.func @main_graph(%ids: tensor<1x8xi64> {onnx.name = "input_ids"}) -> (tensor<1x8x16xf32> {onnx.name = "logits"}) {
  %table = arith.constant dense<1.0> : tensor<16x8xf32>
  %cos = arith.constant dense<"0x0000803F0000803F0000803F0000803F40510A3FB9FC7F3F40510A3FB9FC7F3F3211D5BEE5F27F3F3211D5BEE5F27F3F26707DBF83E27F3F26707DBF83E27F3F305527BF94CB7F3F305527BF94CB7F3F2B3C913E19AE7F3F2B3C913E19AE7F3FB8CD753F128A7F3FB8CD753F128A7F3FBDFF403F815F7F3FBDFF403F815F7F3F"> : tensor<8x4xf32>
  %sin = arith.constant dense<"0x00000000000000000000000000000000A56A573F57D6233CA56A573F57D6233CB7C7683F3ED4A33CB7C7683F3ED4A33CC381103E1FB9F53CC381103E1FB9F53CCFBD41BFDBCB233DCFBD41BFDBCB233D107C75BFF4B64C3D107C75BFF4B64C3D8C0F8FBED19C753D8C0F8FBED19C753D4630283F323E8F3D4630283F323E8F3D"> : tensor<8x4xf32>
  %wq = arith.constant dense<0.5> : tensor<8x8xf32>
  %wk = arith.constant dense<0.25> : tensor<4x8xf32>
  %wo = arith.constant dense<0.125> : tensor<16x8xf32>
  %x = accel.embedding %ids, %table : tensor<1x8xi64>, tensor<16x8xf32> -> tensor<1x8x8xf32>
  %q = accel.linear %x, %wq : tensor<1x8x8xf32>, tensor<8x8xf32> -> tensor<1x8x8xf32>
  %k = accel.linear %x, %wk : tensor<1x8x8xf32>, tensor<4x8xf32> -> tensor<1x8x4xf32>
  %v = accel.linear %x, %wk : tensor<1x8x8xf32>, tensor<4x8xf32> -> tensor<1x8x4xf32>
  %qr = accel.rope rotate_half %q, %cos, %sin heads(2) : tensor<1x8x8xf32>, tensor<8x4xf32>
  %kr = accel.rope rotate_half %k, %cos, %sin heads(1) : tensor<1x8x4xf32>, tensor<8x4xf32>
  %a = accel.attention %qr, %kr, %v heads(2, 1) causal {lambda = #accel.lambda<sink = 1, window = 3>} : tensor<1x8x8xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x8xf32>
  %r = arith.addf %x, %a : tensor<1x8x8xf32>
  %logits = accel.linear %r, %wo : tensor<1x8x8xf32>, tensor<16x8xf32> -> tensor<1x8x16xf32>
  return %logits : tensor<1x8x16xf32>
}

// -----

// Without Λ in the model, `window` gives every causal attention one; without
// it, the attention stays whole and the cache has max-context slots, which
// bound the position.
// CHECK-LABEL: func.func @main_graph(
// CHECK-SAME: tensor<1x16x4xf32> {onnx.name = "key_cache.0"}
// CHECK: accel.attention %{{.*}}, %{{.*}}, %{{.*}} heads(2, 1) causal :
// CHECK: accel.kv_cache_write %{{.*}}, %{{.*}} at %{{.*}} : tensor<1x16x4xf32>, tensor<1x8x4xf32>
// CHECK-LABEL: func.func @main_graph_decode(
// CHECK-SAME: accel.max_positions = 16 : i64
// CHECK: accel.cache_attention %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} heads(2, 1) : tensor<1x1x8xf32>, tensor<1x16x4xf32>, tensor<1x16x4xf32> -> tensor<1x1x8xf32>
// CACHE-LABEL: func.func @main_graph(
// CACHE: accel.rope
// NODECODE-LABEL: func.func @main_graph(
// NODECODE: accel.band_attention %{{.*}} at %{{.*}}, %{{.*}}, %{{.*}} at %{{.*}} heads(2, 1) {lambda = #accel.lambda<sink = 2, window = 5>}
func.func @main_graph(%ids: tensor<1x8xi64> {onnx.name = "input_ids"}) -> (tensor<1x8x16xf32> {onnx.name = "logits"}) {
  %table = arith.constant dense<1.0> : tensor<16x8xf32>
  %cos = arith.constant dense<"0x0000803F0000803F0000803F0000803F40510A3FB9FC7F3F40510A3FB9FC7F3F3211D5BEE5F27F3F3211D5BEE5F27F3F26707DBF83E27F3F26707DBF83E27F3F305527BF94CB7F3F305527BF94CB7F3F2B3C913E19AE7F3F2B3C913E19AE7F3FB8CD753F128A7F3FB8CD753F128A7F3FBDFF403F815F7F3FBDFF403F815F7F3F"> : tensor<8x4xf32>
  %sin = arith.constant dense<"0x00000000000000000000000000000000A56A573F57D6233CA56A573F57D6233CB7C7683F3ED4A33CB7C7683F3ED4A33CC381103E1FB9F53CC381103E1FB9F53CCFBD41BFDBCB233DCFBD41BFDBCB233D107C75BFF4B64C3D107C75BFF4B64C3D8C0F8FBED19C753D8C0F8FBED19C753D4630283F323E8F3D4630283F323E8F3D"> : tensor<8x4xf32>
  %wq = arith.constant dense<0.5> : tensor<8x8xf32>
  %wk = arith.constant dense<0.25> : tensor<4x8xf32>
  %wo = arith.constant dense<0.125> : tensor<16x8xf32>
  %x = accel.embedding %ids, %table : tensor<1x8xi64>, tensor<16x8xf32> -> tensor<1x8x8xf32>
  %q = accel.linear %x, %wq : tensor<1x8x8xf32>, tensor<8x8xf32> -> tensor<1x8x8xf32>
  %k = accel.linear %x, %wk : tensor<1x8x8xf32>, tensor<4x8xf32> -> tensor<1x8x4xf32>
  %v = accel.linear %x, %wk : tensor<1x8x8xf32>, tensor<4x8xf32> -> tensor<1x8x4xf32>
  %qr = accel.rope rotate_half %q, %cos, %sin heads(2) : tensor<1x8x8xf32>, tensor<8x4xf32>
  %kr = accel.rope rotate_half %k, %cos, %sin heads(1) : tensor<1x8x4xf32>, tensor<8x4xf32>
  %a = accel.attention %qr, %kr, %v heads(2, 1) causal : tensor<1x8x8xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x8xf32>
  %r = arith.addf %x, %a : tensor<1x8x8xf32>
  %logits = accel.linear %r, %wo : tensor<1x8x8xf32>, tensor<16x8xf32> -> tensor<1x8x16xf32>
  return %logits : tensor<1x8x16xf32>
}

// -----

// Learned positions (GPT-2): the embedding of the constant ids 0 .. T-1 is,
// in the decode step, the embedding of the position (bounded by the
// table's rows).
// CHECK-LABEL: func.func @main_graph_decode(
// CHECK-SAME: accel.max_positions = 8 : i64
// CHECK: %[[P64:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: %[[IDS:.*]] = tensor.splat %[[P64]] : tensor<1x1xi64>
// CHECK: accel.embedding %[[IDS]], %{{.*}} : tensor<1x1xi64>, tensor<8x4xf32> -> tensor<1x1x4xf32>
// CACHE-LABEL: func.func @main_graph_decode(
// CACHE: tensor.splat
// NODECODE-LABEL: func.func @main_graph(
func.func @main_graph(%x: tensor<1x8x4xf32>) -> tensor<1x8x4xf32> {
  %ids = arith.constant dense<[[0, 1, 2, 3, 4, 5, 6, 7]]> : tensor<1x8xi64>
  %wpe = arith.constant dense<0.5> : tensor<8x4xf32>
  %pos = accel.embedding %ids, %wpe : tensor<1x8xi64>, tensor<8x4xf32> -> tensor<1x8x4xf32>
  %h = arith.addf %x, %pos : tensor<1x8x4xf32>
  %a = accel.attention %h, %h, %h heads(1, 1) causal : tensor<1x8x4xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x4xf32>
  return %a : tensor<1x8x4xf32>
}

// -----

// A constant of one value over the sequence that only element-wise ops read
// (accel-raise-onnx's operand of one value) takes the decode step's one
// row; one a linear reads (a weight of T columns) keeps its shape.
// CHECK-LABEL: func.func @main_graph_decode(
// CHECK-DAG: %[[W:.*]] = arith.constant dense<5.000000e-01> : tensor<8x8xf32>
// CHECK-DAG: %[[QUARTER:.*]] = arith.constant dense<2.500000e-01> : tensor<1x1x8xf32>
// CHECK-DAG: %[[TWO:.*]] = arith.constant dense<2.000000e+00> : tensor<1x1x8xf32>
// CHECK: accel.linear %{{.*}}, %[[W]] : tensor<1x1x8xf32>, tensor<8x8xf32> -> tensor<1x1x8xf32>
// CHECK: %[[A:.*]] = accel.cache_attention
// CHECK: %[[M:.*]] = arith.mulf %[[A]], %[[QUARTER]] : tensor<1x1x8xf32>
// CHECK: %[[D:.*]] = arith.divf %[[TWO]], %[[M]] : tensor<1x1x8xf32>
// CHECK: return %[[D]],
func.func @main_graph(%ids: tensor<1x8xi64> {onnx.name = "input_ids"}) -> tensor<1x8x8xf32> {
  %table = arith.constant dense<1.0> : tensor<16x8xf32>
  %w = arith.constant dense<0.5> : tensor<8x8xf32>
  %quarter = arith.constant dense<0.25> : tensor<1x8x8xf32>
  %two = arith.constant dense<2.0> : tensor<1x8x8xf32>
  %x = accel.embedding %ids, %table : tensor<1x8xi64>, tensor<16x8xf32> -> tensor<1x8x8xf32>
  %q = accel.linear %x, %w : tensor<1x8x8xf32>, tensor<8x8xf32> -> tensor<1x8x8xf32>
  %a = accel.attention %q, %q, %q heads(1, 1) causal : tensor<1x8x8xf32>, tensor<1x8x8xf32>, tensor<1x8x8xf32> -> tensor<1x8x8xf32>
  %m = arith.mulf %a, %quarter : tensor<1x8x8xf32>
  %d = arith.divf %two, %m : tensor<1x8x8xf32>
  return %d : tensor<1x8x8xf32>
}

// -----

// Any other reader of such a constant takes the one row too (an accel op's
// activation operand, arith.maximumf); an embedding's table of T columns is
// a weight and keeps its shape.
// CHECK-LABEL: func.func @main_graph_decode(
// CHECK-DAG: %[[TABLE:.*]] = arith.constant dense<1.000000e+00> : tensor<16x8xf32>
// CHECK-DAG: %[[HALF:.*]] = arith.constant dense<5.000000e-01> : tensor<1x1x8xf32>
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<1x1x8xf32>
// CHECK: accel.embedding %{{.*}}, %[[TABLE]] : tensor<1x1xi64>, tensor<16x8xf32> -> tensor<1x1x8xf32>
// CHECK: %[[A:.*]] = accel.cache_attention
// CHECK: %[[G:.*]] = accel.activation silu %[[A]], %[[HALF]] : tensor<1x1x8xf32>, tensor<1x1x8xf32>
// CHECK: %[[M:.*]] = arith.maximumf %[[G]], %[[ZERO]] : tensor<1x1x8xf32>
// CHECK: return %[[M]],
func.func @main_graph(%ids: tensor<1x8xi64> {onnx.name = "input_ids"}) -> tensor<1x8x8xf32> {
  %table = arith.constant dense<1.0> : tensor<16x8xf32>
  %half = arith.constant dense<0.5> : tensor<1x8x8xf32>
  %zero = arith.constant dense<0.0> : tensor<1x8x8xf32>
  %x = accel.embedding %ids, %table : tensor<1x8xi64>, tensor<16x8xf32> -> tensor<1x8x8xf32>
  %a = accel.attention %x, %x, %x heads(1, 1) causal : tensor<1x8x8xf32>, tensor<1x8x8xf32>, tensor<1x8x8xf32> -> tensor<1x8x8xf32>
  %g = accel.activation silu %a, %half : tensor<1x8x8xf32>, tensor<1x8x8xf32>
  %m = arith.maximumf %g, %zero : tensor<1x8x8xf32>
  return %m : tensor<1x8x8xf32>
}
