"""Search spaces of a study's trials (:mod:`hpo.search_space.intersection`)."""

from hpo.search_space.intersection import IntersectionSearchSpace, intersection_search_space

__all__ = ["IntersectionSearchSpace", "intersection_search_space"]
