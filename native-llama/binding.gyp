{
  "targets": [
    {
      "target_name": "klscope_llama",
      "sources": ["llama_logits.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node -p \"process.env.KLSCOPE_LLAMA_INCLUDE\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2"],
      "libraries": [
        "-L<!(node -p \"process.env.KLSCOPE_LLAMA_LIBDIR\")",
        "<!@(node -p \"process.env.KLSCOPE_LLAMA_LIBS\")",
        "-Wl,-rpath,<!(node -p \"process.env.KLSCOPE_LLAMA_LIBDIR\")"
      ]
    }
  ]
}
