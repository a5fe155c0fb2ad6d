"""Runs `python -m llama_cpp.server` with llama.cpp's weight repacking turned off.

llama-cpp-python compiles llama.cpp for the CPU it is built on. On CPUs with AVX-512/AMX, that
build's repacked Q4_K weights crash in the first decode (a segmentation fault, seen on these
machines), and the server offers no option for it; without the extra buffer types it runs fine.
"""

import runpy

import llama_cpp
import llama_cpp.llama

_defaults = llama_cpp.llama_model_default_params


def _without_repacking():
    params = _defaults()
    params.use_extra_bufts = False
    return params


llama_cpp.llama.llama_cpp.llama_model_default_params = _without_repacking

if __name__ == "__main__":
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
