"""Problem families. Importing a module registers its methods in :mod:`dnnsolve.methods`."""
