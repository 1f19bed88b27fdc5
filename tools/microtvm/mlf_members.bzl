"""Generated from microtvm/mlf.py BUILD_MEMBERS by `python3 -m microtvm.mlf`: do not edit.

tools/microtvm/tests/test_mlf.py fails when this file differs from what the compiler writes.
"""

# MLF member -> the file microtvm_model_library declares for it below <name>.mlf/
# ({module}: the module name).
MLF_GENERATED_FILES = {
    "codegen/host/include/tvmgen_{module}.h": "include/tvmgen_{module}.h",
    "codegen/host/src/{module}_constants.h": "src/{module}_constants.h",
    "codegen/host/src/{module}_lib0.c": "src/{module}_lib0.c",
    "codegen/host/src/{module}_lib1.c": "src/{module}_lib1.c",
    "metadata.json": "metadata.json",
}
