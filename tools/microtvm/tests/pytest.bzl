"""pytest_test: a py_test that runs one pytest file with the compiler and its test helpers."""

load("@rules_microtvm_pypi//:requirements.bzl", "requirement")
load("@rules_python//python:defs.bzl", "py_test")

def pytest_test(name, src, size = "medium", shard_count = None, data = [], **kwargs):
    """`data`: extra runfiles the test reads (e.g. models), besides the pytest conftest."""
    py_test(
        name = name,
        srcs = ["//tools/microtvm/tests:pytest_main.py", src],
        main = "//tools/microtvm/tests:pytest_main.py",
        args = ["$(rootpath %s)" % src],
        data = ["//tools/microtvm:conftest.py"] + data,
        size = size,
        shard_count = shard_count,
        deps = [
            "//tools/microtvm:testing",
            requirement("pytest"),
        ],
        **kwargs
    )
