// A hand-made decode step (hidden 64, one layer): an embedding, a norm, a
// 4-tile q projection, RoPE, the K/V cache writes and attention, a 40-tile
// LM head with a bias (only accel-pack's tiles and tile_bytes matter).
module {
  func.func @decode(%ids: tensor<1x1xi64>, %position: tensor<i64> {onnx.name = "position"}, %kc: tensor<1x8x16xf32>, %vc: tensor<1x8x16xf32>) -> tensor<1x1x640xf32> attributes {accel.entry = "decode"} {
    %sin = arith.constant dense<5.000000e-01> : tensor<32x16xf32>
    %cos = arith.constant dense<2.500000e-01> : tensor<32x16xf32>
    %p = tensor.extract %position[] : tensor<i64>
    %at = arith.index_cast %p : i64 to index
    %cos1 = tensor.extract_slice %cos[%at, 0] [1, 16] [1, 1] : tensor<32x16xf32> to tensor<1x16xf32>
    %sin1 = tensor.extract_slice %sin[%at, 0] [1, 16] [1, 1] : tensor<32x16xf32> to tensor<1x16xf32>
    %table = arith.constant dense<6.250000e-02> : tensor<16x64xf32>
    %gamma = arith.constant dense<1.000000e+00> : tensor<64xf32>
    %x = accel.embedding %ids, %table : tensor<1x1xi64>, tensor<16x64xf32> -> tensor<1x1x64xf32>
    %h = accel.rmsnorm %x, %gamma epsilon(9.99999974E-6) : tensor<1x1x64xf32>, tensor<64xf32>
    %wq = arith.constant dense<1.000000e-02> : tensor<16x64xf32>
    %q = accel.linear %h, %wq {accel.image = {bytes = 1536 : i64, offset = 0 : i64, rows_per_tile = 4 : i64, tile_bytes = 384 : i64, tiles = 4 : i64}} : tensor<1x1x64xf32>, tensor<16x64xf32> -> tensor<1x1x16xf32>
    %qr = accel.rope rotate_half %q, %cos1, %sin1 heads(1) : tensor<1x1x16xf32>, tensor<1x16xf32>
    %k = accel.kv_cache_write %kc, %qr at %at {lambda = #accel.lambda<sink = 2, window = 6>} : tensor<1x8x16xf32>, tensor<1x1x16xf32>
    %v = accel.kv_cache_write %vc, %q at %at {lambda = #accel.lambda<sink = 2, window = 6>} : tensor<1x8x16xf32>, tensor<1x1x16xf32>
    %a = accel.cache_attention %qr, %k, %v at %at heads(1, 1) {lambda = #accel.lambda<sink = 2, window = 6>} : tensor<1x1x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32> -> tensor<1x1x16xf32>
    %wh = arith.constant dense<2.000000e-02> : tensor<640x16xf32>
    %bh = arith.constant dense<0.000000e+00> : tensor<640xf32>
    %logits = accel.linear %a, %wh bias(%bh : tensor<640xf32>) {accel.image = {bytes = 40960 : i64, offset = 1536 : i64, rows_per_tile = 16 : i64, tile_bytes = 1024 : i64, tiles = 40 : i64}} : tensor<1x1x16xf32>, tensor<640x16xf32> -> tensor<1x1x640xf32>
    return %logits : tensor<1x1x640xf32>
  }
}
