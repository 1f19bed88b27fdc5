"""Helpers for the scripts the run/test/flash rules generate."""

visibility("//rules/...")

def rlocation_path(ctx, file):
    """The path of `file` below a runfiles directory ("<repository>/<path>")."""
    if file.short_path.startswith("../"):
        return file.short_path[len("../"):]
    return ctx.workspace_name + "/" + file.short_path

def shell_quote(value):
    """`value` as one word for bash."""
    return "'" + str(value).replace("'", "'\\''") + "'"

# A bash function the scripts use to find their runfiles: under $RUNFILES_DIR (bazel test, or a
# test running this script), next to the script (<script>.runfiles, e.g. run by hand from
# bazel-bin), or above the working directory (bazel run starts in <runfiles>/<workspace>).
RLOCATION_FUNCTION = """
rlocation() {
  local base
  for base in "${RUNFILES_DIR:-}" "$0.runfiles" "$PWD/.."; do
    if [[ -n "$base" && -e "$base/$1" ]]; then
      echo "$base/$1"
      return 0
    fi
  done
  echo "error: cannot find $1 in the runfiles of $0" >&2
  return 1
}
"""

def label_string(label):
    """A label as users write it: //pkg:name in the main repository, @repo//pkg:name elsewhere."""
    if label.repo_name:
        return "@%s//%s:%s" % (label.repo_name, label.package, label.name)
    return "//%s:%s" % (label.package, label.name)
