{
  "targets": [
    {
      "target_name": "klscope_kernels",
      "sources": ["addon.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=fast", "-fno-math-errno", "<!@(node ../scripts/build-native.mjs --arch-flags)"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-fno-math-errno"]
      },
      "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/O2", "/openmp:experimental"] } }
    }
  ]
}
