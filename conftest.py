"""Test-collection settings shared by every test directory."""

# ``__main__`` modules run their command when imported; doctest collection must not import them.
collect_ignore_glob = ["*/__main__.py"]
