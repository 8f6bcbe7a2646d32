"""The deterministic demo-bundle builder.

``spinefairbench demo build`` writes a complete *synthetic* bundle in the
exact published layout -- dataset, retained model reports, frozen summary,
mitigation panel, radiologist files, checksum manifests -- together with its
own release profile, so that every verification command and the scorer can
run anywhere without the access-controlled real artifacts.  Everything in it
is invented; nothing is taken from the real study.

* :mod:`spinefairbench.demo.builder` -- :func:`~spinefairbench.demo.builder.build_demo_bundle`;
* :mod:`spinefairbench.demo.reports` -- phrase templates and model behaviour profiles;
* :mod:`spinefairbench.demo.png` -- a minimal PNG writer;
* :mod:`spinefairbench.bundle.layout` -- the bundle-relative paths (shared with the verifier).
"""
