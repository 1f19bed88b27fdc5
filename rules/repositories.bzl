"""Dependencies of rules_microtvm for legacy WORKSPACE users (bzlmod users get them from MODULE.bazel).

    load("@rules_microtvm//rules:repositories.bzl", "rules_microtvm_dependencies")
    rules_microtvm_dependencies()

Versions and integrity hashes are those of the Bazel Central Registry entries MODULE.bazel uses.
Repositories already declared by the caller are left alone.
"""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")
load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")

def rules_microtvm_dependencies():
    maybe(
        http_archive,
        name = "platforms",
        integrity = "sha256-IY7+juc20mo1cmY7N0olPAErcW2K8MB+hC6C8jigp+4=",
        urls = ["https://github.com/bazelbuild/platforms/releases/download/0.0.10/platforms-0.0.10.tar.gz"],
    )
    maybe(
        http_archive,
        name = "rules_cc",
        integrity = "sha256-fiofbF3ZCObojXyAJXyZ0U4W+phbVjQih/3bajLENbU=",
        strip_prefix = "rules_cc-0.0.11",
        urls = ["https://github.com/bazelbuild/rules_cc/releases/download/0.0.11/rules_cc-0.0.11.tar.gz"],
    )
    maybe(
        http_archive,
        name = "rules_python",
        integrity = "sha256-pWQP3dS+sD6MH95e1xYMC6a9R359BIZhwwwGk2om/WM=",
        strip_prefix = "rules_python-0.22.1",
        urls = ["https://github.com/bazelbuild/rules_python/releases/download/0.22.1/rules_python-0.22.1.tar.gz"],
    )
