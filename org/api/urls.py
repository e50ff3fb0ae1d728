"""Routes of `/organization_units` and `/positions`."""

from identity.routers import Router
from org.api.views import OrganizationUnitViewSet, PositionViewSet

router = Router()
router.register("organization_units", OrganizationUnitViewSet, basename="organization-unit")
router.register("positions", PositionViewSet, basename="position")
urlpatterns = router.urls
