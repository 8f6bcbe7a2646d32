"""spinefairbench: reviewer verifier and submission scorer for SpineFairBench and SpineBench.

Standard library only.  The package is organised by layer:

* ``metrics``  -- pure keyword parsers (diagnostic labels, recommendations,
  refusals, Stage-1 diagnosis) and Jaccard, from the frozen definitions;
* ``stats``    -- the NumPy-identical PCG64 stream and the source-clustered bootstrap;
* ``bundle``   -- bundle paths, guarded loaders, checksum manifests, release profiles;
* ``commands`` -- one module per verification command (pure core + thin ``run``);
* ``report``   -- text / JSON / HTML renderers;
* ``release``  -- the published ``python -m spinefairbench.release.scoring`` entry;
* ``spinebench`` -- the SpineBench scorer;
* ``demo``     -- the deterministic demo-bundle builder.
"""

__version__ = "0.1.0"
