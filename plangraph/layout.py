"""The names of a built dataset's files in data/graph/: constants only, no imports.

Kept apart from :mod:`plangraph.build` (rdflib, pyshacl) so that serving a dataset does not
import the build pipeline.
"""

NQUADS = "plangraph.nq"
TRIG = "plangraph.trig"
MANIFEST = "build.json"
CACHE = "cache"  # derived files keyed by build id (network metrics); not part of the build
