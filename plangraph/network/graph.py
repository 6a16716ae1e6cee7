"""The network package's names, as they were in one module (the importers move next)."""

from plangraph.network.cache import metrics_cache_file as metrics_cache_file
from plangraph.network.exports import FORMATS as FORMATS
from plangraph.network.exports import export as export
from plangraph.network.filters import Filters as Filters
from plangraph.network.filters import parse_filters as parse_filters
from plangraph.network.filters import select as select
from plangraph.network.loader import load as load
from plangraph.network.metrics import compute_metrics as compute_metrics
from plangraph.network.options import options as options
from plangraph.network.positions import layout as layout
from plangraph.network.projections import PROJECTIONS as PROJECTIONS
from plangraph.network.rdf import METRICS_GRAPH as METRICS_GRAPH
from plangraph.network.rdf import add_metrics_graph as add_metrics_graph
from plangraph.network.rdf import metrics_ntriples as metrics_ntriples
from plangraph.network.rdf import metrics_rdf as metrics_rdf
from plangraph.network.records import DEFAULT_ROLES as DEFAULT_ROLES
from plangraph.network.records import NetworkData as NetworkData
from plangraph.network.result import Network as Network
from plangraph.network.result import agency_metrics as agency_metrics
from plangraph.network.result import network as network
from plangraph.store.query_catalog import load_catalog as load_catalog
