"""Time-to-event endpoints (OS, PFS, DOR, TTP) as an ADTTE-like table; see docs/endpoints.md."""

from .derive import PARAMS, EndpointResult, EndpointWarning, derive_endpoints
from .settings import EndpointSettings, MissedAssessments

__all__ = ["PARAMS", "EndpointResult", "EndpointSettings", "EndpointWarning", "MissedAssessments",
           "derive_endpoints"]
