"""Entry points under the published module names (``python -m spinefairbench.release.scoring``)."""
