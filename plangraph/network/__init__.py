"""Networks of agencies and their obligations: built from SPARQL results, measured, exported.

Everything is read through the store with the queries in ``queries/network/``; filters are
applied in Python on those rows, never pasted into SPARQL text. The modules, in the order the
data flows:

- :mod:`~plangraph.network.records`: what the networks are built from (agents, plans, steps,
  commitments) and the vocabulary (roles, agency kinds, step kinds);
- :mod:`~plangraph.network.loader`: the rows of ``queries/network/`` into :class:`NetworkData`;
- :mod:`~plangraph.network.filters`: request values parsed into :class:`Filters`, applied;
- :mod:`~plangraph.network.projections`: the bipartite network and its projections;
- :mod:`~plangraph.network.metrics`: degree, betweenness, PageRank, communities, brokerage;
- :mod:`~plangraph.network.result`: :func:`network` (a projection under filters, measured)
  and the agency metrics table;
- :mod:`~plangraph.network.positions`: the page's layout;
- :mod:`~plangraph.network.exports`: the page's JSON, Cytoscape, GraphML, GEXF, CSV;
- :mod:`~plangraph.network.rdf` and :mod:`~plangraph.network.cache`: the metrics as RDF in
  the store's metrics named graph, cached per build;
- :mod:`~plangraph.network.options`: what the filters accept, for a page's controls.

Decisions (the defaults):

- **Steps.** Commitments for numbered activities (pg:Activity), work items, and quarterly
  activities are counted. Sub-activities (pg:SubActivity) are left out unless
  ``sub_activities`` is set: in the China–Cambodia plan they repeat their parent activity's
  agencies, so counting them would count one obligation twice. Commitments made for a whole
  section (the parties participating in a COMMIT project proposal concept) are not steps and
  are not in the network.
- **Roles.** The default roles are lead, responsible, implementing-partner and support:
  responsibility for carrying a step out. Resourcing (funding) is a different relation (in
  the national plan "development partners" fund most activities) and participant is used
  only for section-level participation; ``roles=ALL_ROLES`` (``--role all``) includes them.
- **Catch-alls and parties: real bodies only.** Agencies of kind ``unspecified-group``
  ("competent authorities concerned") and parties standing in for an agency (pg:agency
  pointing to a pg:Party, node kind ``party``) are left out by default, everywhere (page, API,
  CLI, metrics graph, agency pages): with them in, they change the real bodies' metrics.
  ``generic=True`` includes them, marked by their kind; the rankings (``summary``) never
  list them.
- **Load, two ways.** ``step_load``: the distinct steps an agency is committed to under the
  filters (the ranking). ``obligation_load``: the distinct (step, role) commitments (after
  roll-up, so a ministry and its department committed to the same step in the same role
  count once); a body listed in two roles for one step counts twice. ``load_<role>`` breaks
  it down by role.
- **Centralities** come with ``component_size``; the top lists by betweenness and PageRank
  keep to the largest component.
- **Years.** A commitment is in the years of its own pg:year, else its step's, else its
  plan's period; a year filter keeps commitments with a year in the range.
- **Party filter** keeps commitments whose agency belongs to the party (or is the party, or
  acts on its behalf).
- **Roll-up** replaces every agency by its top-most parent body (org:subOrganizationOf).

Metrics are computed on the projection asked for (for agencies: on the co-responsibility
network). The names below are the package's public surface (the server, the CLI, the tests and
the benchmarks use only these).
"""

from plangraph.network.cache import metrics_cache_file
from plangraph.network.exports import FORMATS, export
from plangraph.network.filters import Filters, parse_filters, select
from plangraph.network.loader import load
from plangraph.network.metrics import compute_metrics
from plangraph.network.options import options
from plangraph.network.positions import layout
from plangraph.network.projections import PROJECTIONS
from plangraph.network.rdf import (
    METRICS_GRAPH,
    add_metrics_graph,
    computed_graphs,
    metrics_ntriples,
    metrics_rdf,
    write_metrics_cache,
)
from plangraph.network.records import DEFAULT_ROLES, NetworkData
from plangraph.network.result import Network, agency_metrics, network

__all__ = [
    "DEFAULT_ROLES",
    "FORMATS",
    "METRICS_GRAPH",
    "PROJECTIONS",
    "Filters",
    "Network",
    "NetworkData",
    "add_metrics_graph",
    "agency_metrics",
    "compute_metrics",
    "computed_graphs",
    "export",
    "layout",
    "load",
    "metrics_cache_file",
    "metrics_ntriples",
    "metrics_rdf",
    "network",
    "options",
    "parse_filters",
    "select",
    "write_metrics_cache",
]
