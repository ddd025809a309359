"""glance-api's image actions: ``POST /v2/images/{id}/actions/deactivate|reactivate``.

Facts (``glance/api/v2/image_actions.py``, ``glance/api/v2/policy.py``,
``glance/policies/image.py``, ``glance.domain.Image.deactivate/reactivate``,
the router's ``body_reject``):

* 204 with no body.  A request with a body is 400 "A body is not expected with
  this request."; another method is 405 (``Allow: POST``).
* The image must be visible to the caller (``get_image``), else 404.
* Policy ``deactivate`` / ``reactivate``: ``ADMIN_OR_PROJECT_MEMBER``, i.e. an
  admin, or the ``member`` role in the project owning the image.  A caller who
  may see the image but fails the rule (another project's public image, a
  reader of the owner's project) gets 403 "You are not authorized to complete
  deactivate action."; one who may not see it, 404.
* Status: ``active`` <-> ``deactivated``; deactivating a deactivated image
  (or reactivating an active one) is a no-op 204; any other status is the
  domain's ``Forbidden``, 403 "Not allowed to deactivate image in status
  '<status>'".
* A deactivated image's data cannot be downloaded by non-admins (403, in the
  download controller) and Cinder refuses to create a volume from it (400
  "Image <id> is not active.").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.wsgi import ApiResponse
from .http import GlanceError, Request
from .records import Image, ImageNotFound

if TYPE_CHECKING:
    from .images import GlanceService

__all__ = ["ACTIONS", "image_action"]

ACTIONS = {"deactivate": ("active", "deactivated"), "reactivate": ("deactivated", "active")}
"""Action -> (the status it leaves, the status it reaches)."""


def image_action(glance: GlanceService, req: Request, image_id: str,
                 action: str) -> ApiResponse:
    """``ImageActionsController.deactivate`` / ``reactivate``."""
    if req.body:
        raise GlanceError(400, "A body is not expected with this request.")
    try:
        image = glance.get(image_id, req.ctx.project_id, admin=req.admin)
    except ImageNotFound as exc:
        raise GlanceError(404, str(exc)) from None
    if not _allowed(glance, req, image):
        raise GlanceError(403, f"You are not authorized to complete {action} action.")
    source, target = ACTIONS[action]
    if image.status == source:
        glance.set_status(image, target)
    elif image.status != target:
        raise GlanceError(403, f"Not allowed to {action} image in status '{image.status}'")
    return ApiResponse(204)


def _allowed(glance: GlanceService, req: Request, image: Image) -> bool:
    """``ADMIN_OR_PROJECT_MEMBER`` on the image (its owner is the target's project)."""
    return req.admin or ("member" in req.ctx.roles
                         and glance.owns(image, req.ctx.project_id))
