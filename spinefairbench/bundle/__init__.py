"""Reading a bundle safely: release-relative paths, guarded loaders, checksum manifests, release profiles."""
