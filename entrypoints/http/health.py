"""Liveness and readiness, for whatever runs the service (a load balancer, an orchestrator)."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from entrypoints.http.routes import Wired

logger = logging.getLogger(__name__)

router = APIRouter()


class HealthResponse(BaseModel):
    status: Literal["ok", "unavailable"]


@router.get("/health/live")
@router.head("/health/live")
async def liveness() -> HealthResponse:
    """200 while the process serves requests at all; touches nothing else."""
    return HealthResponse(status="ok")


@router.get("/health", responses={503: {"model": HealthResponse}})
@router.head("/health", responses={503: {"model": HealthResponse}})
def readiness(container: Wired, response: Response) -> HealthResponse:
    """Readiness: 200 when the database answers a read, 503 when it does not."""
    try:
        container.check_health().execute()
    except Exception:
        # A failing health check is an answer, not an error of this request.
        logger.exception("health check failed")
        response.status_code = 503
        return HealthResponse(status="unavailable")
    return HealthResponse(status="ok")
