"""Test helpers: a TFLite writer for test models and the LiteRT reference runner."""
