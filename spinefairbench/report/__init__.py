"""Renderers: text tables, JSON documents, the self-contained HTML report, and stderr progress."""
