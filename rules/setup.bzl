"""Second step of the legacy WORKSPACE setup (after rules_microtvm_dependencies()):

    load("@rules_microtvm//rules:setup.bzl", "rules_microtvm_setup")
    rules_microtvm_setup()
    load("@rules_microtvm_pypi//:requirements.bzl", "install_deps")
    install_deps()

Declares the code generator's Python dependencies (hash-pinned, from PyPI) as the repository
@rules_microtvm_pypi and registers the Cortex-M toolchains. bzlmod users need none of this.
"""

load("@rules_python//python:pip.bzl", "pip_parse")
load("@rules_python//python:repositories.bzl", "py_repositories")

def rules_microtvm_setup(name = "rules_microtvm_setup"):
    """Declares @rules_microtvm_pypi and registers the toolchains (see the module docstring).

    Args:
      name: unused; there for buildifier's convention that every macro takes a name.
    """
    _ignore = name  # @unused
    py_repositories()
    pip_parse(
        name = "rules_microtvm_pypi",
        python_interpreter = "python3",
        requirements_lock = Label("//tools/microtvm:requirements_lock.txt"),
    )
    native.register_toolchains(str(Label("//toolchains:all")))
