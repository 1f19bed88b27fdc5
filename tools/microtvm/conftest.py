"""Makes `import microtvm` work when pytest runs from a plain checkout (Bazel uses imports=["."])."""
