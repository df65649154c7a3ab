{
  # The native backend. Built by scripts/build-native.mjs with --nodedir, so no
  # headers are downloaded. -O3 but never -march=native: the AVX2 / AVX-512 code paths are
  # compiled per function with __attribute__((target(...))) and picked at run time, so the same
  # binary runs on any x86-64 (and the portable path on anything else).
  "targets": [
    {
      "target_name": "skiplab_native",
      "sources": [
        "src/addon.cc",
        "src/thread-pool.cc",
        "src/gemm.cc",
        "src/gemm-kernels.cc",
        "src/conv.cc",
        "src/conv-direct.cc",
        "src/conv-direct-weight.cc",
        "src/conv-direct-kernels.cc",
        "src/conv-bf16.cc",
        "src/conv-bf16-kernels.cc",
        "src/elementwise.cc",
        "src/reduce-layout.cc",
        "src/normalization.cc",
        "src/pool-softmax.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-O2", "-O3", "-Os"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++20", "-O2", "-Os"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-pthread", "-Wall", "-Wno-unused-function"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"],
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
      }
    }
  ]
}
